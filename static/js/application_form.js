// 申込作成: live percentages, e-guarantee notes, the two clear buttons and a
// guard against double submission. The page works without it; the server checks everything.
(function () {
  "use strict";
  const form = document.getElementById("application-form");
  if (!form) return;
  const $ = (name) => form.elements.namedItem(name);

  function yen(name) {
    const el = $(name);
    if (!el) return null;
    const text = el.value
      .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      .replace(/[,，\s　円]/g, "");
    return /^\d+$/.test(text) ? parseInt(text, 10) : null;
  }

  function share(part, whole) {
    if (!part || !whole) return "0.0";
    // Round half up to one decimal with integer arithmetic, as the server does.
    const tenths = Math.floor((part * 2000 + whole) / (2 * whole));
    return (tenths / 10).toFixed(1);
  }

  function updatePercentages() {
    const contract = yen("contract_amount");
    const base = yen("this_year_amount") || contract;
    form.querySelector('[data-percent="advance"]').textContent = share(yen("ag_amount"), base) + "%";
    form.querySelector('[data-percent="contract"]').textContent = share(yen("cg_amount"), contract) + "%";
  }

  // The 発注者 combobox (obligee_combobox.js) keeps the chosen obligee's name and acceptance dates
  // on its hidden input and fires "change" on it.
  const obligee = $("obligee");

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);
  function updateElectronicNotes() {
    const chosen = obligee.value ? obligee.dataset : null;
    form.querySelectorAll(".nd-e-note").forEach((note) => {
      if (!chosen) { note.textContent = ""; return; }
      const name = chosen.name;
      const kind = note.dataset.kind;
      const since = chosen["e" + kind.charAt(0).toUpperCase() + kind.slice(1)];
      if (since) {
        const [y, m, d] = since.split("-").map(Number);
        const date = fill(note.dataset.date, { y, m, d });
        note.textContent = fill(note.dataset.accepts, { obligee: name, since: date });
        note.className = "nd-e-note d-block fw-semibold text-success";
      } else {
        note.textContent = fill(note.dataset.refuses, { obligee: name });
        note.className = "nd-e-note d-block fw-semibold text-danger";
      }
    });
  }

  // Values the seed form starts with; "クリア" returns the radios to them.
  const DEFAULT_RADIOS = new Set(["paper", "not_used", "0", "lump_sum"]);
  function clearSection(section) {
    section.querySelectorAll("input, select, textarea").forEach((el) => {
      if (el.type === "radio") el.checked = DEFAULT_RADIOS.has(el.value);
      else if (el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if (el.type !== "hidden") el.value = "";
    });
    updatePercentages();
  }

  // Once the user leaves an amount, show it as the server will read it: 20,000,000.
  form.querySelectorAll("input[data-yen]").forEach((input) =>
    input.addEventListener("change", () => {
      const value = yen(input.name);
      if (value !== null) input.value = value.toLocaleString("en-US");
    }));
  form.addEventListener("input", updatePercentages);
  obligee.addEventListener("change", updateElectronicNotes);
  document.querySelectorAll("[data-clear]").forEach((button) =>
    button.addEventListener("click", () => clearSection(document.getElementById(button.dataset.clear))));
  updatePercentages();
  updateElectronicNotes();
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

