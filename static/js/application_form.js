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

  // --- Live percentages and their limits ------------------------------------------------------
  // The caps are those of applications/rules.py, rendered by the server into #nd-limits; an
  // amount outside them turns its share into a warning naming the limit, and marks the amount
  // (data-limit-error) for the fee estimate (fee_estimate.js).
  const LIMITS = JSON.parse(document.getElementById("nd-limits").textContent);
  const KINDS = { advance: "ag_", contract: "cg_" };
  const withValues = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);
  const yenText = (amount) => amount.toLocaleString("en-US");

  function limitError(kind, amount, warning) {
    const contract = yen("contract_amount");
    if (!amount) return "";
    if (kind === "advance") {
      const thisYear = yen("this_year_amount");
      const base = thisYear || contract;
      const type = form.querySelector('[name="contract_type"]:checked');
      const [num, den] = LIMITS.advance_max[type ? type.value : "works"] || LIMITS.advance_max.works;
      if (!base || amount * den <= base * num) return "";
      return withValues(thisYear ? warning.dataset.overThisYear : warning.dataset.over, {
        cap: (num * 10) / den, limit: yenText(Math.floor((base * num) / den)),
      });
    }
    if (!contract) return "";
    if (amount > contract) return withValues(warning.dataset.over, { limit: yenText(contract) });
    const [num, den] = LIMITS.contract_min;
    if (amount * den >= contract * num) return "";
    return withValues(warning.dataset.under, {
      cap: (num * 10) / den, limit: yenText(Math.ceil((contract * num) / den)),
    });
  }

  function updatePercentages() {
    const contract = yen("contract_amount");
    const bases = { advance: yen("this_year_amount") || contract, contract };
    Object.entries(KINDS).forEach(([kind, prefix]) => {
      const amount = $(prefix + "amount");
      const percent = form.querySelector(`[data-percent="${kind}"]`);
      const warning = form.querySelector(`[data-limit-warning="${kind}"]`);
      const requested = $(prefix + "requested").checked;
      const error = requested ? limitError(kind, yen(prefix + "amount"), warning) : "";
      percent.textContent = share(yen(prefix + "amount"), bases[kind]) + "%";
      percent.classList.toggle("nd-over-limit", Boolean(error));
      // After the server's error on this amount was cleared by a change, say that the new
      // value passes too, not only when it does not.
      const passes = !error && amount.dataset.serverError !== undefined && requested
        && yen(prefix + "amount") && bases[kind];
      warning.textContent = error || (passes ? warning.dataset.ok : "");
      warning.classList.toggle("nd-limit-ok", Boolean(passes));
      if (error) amount.dataset.limitError = error;
      else delete amount.dataset.limitError;
    });
  }
  form.addEventListener("change", updatePercentages);

  // --- A server error goes once its value changes ----------------------------------------------
  // The error under a field (and its line in the summary) was about the value posted: once the
  // user changes that value, or one the error was worked out from, it no longer applies and the
  // live checks (percentages, the date reading) speak until the server checks again.
  const ERROR_INPUTS = {
    ag_amount: ["contract_amount", "this_year_amount", "contract_type"],
    cg_amount: ["contract_amount"],
    this_year_amount: ["contract_amount"],
    contract_date: ["period_end"],
    period_end: ["contract_date", "period_start"],
  };
  const summary = document.getElementById("error-summary");

  function clearServerError(name) {
    const wrapper = document.getElementById("div_id_" + name);
    if (!wrapper || !wrapper.querySelector(".invalid-feedback")) return;
    wrapper.querySelectorAll(".invalid-feedback").forEach((feedback) => feedback.remove());
    wrapper.querySelectorAll(".is-invalid").forEach((control) => {
      control.classList.remove("is-invalid");
      control.removeAttribute("aria-invalid");
      control.dataset.serverError = "";
    });
    const line = summary && summary.querySelector(`a[href="#id_${name}"]`);
    if (line && !line.parentElement.classList.contains("nd-fixed")) {
      line.parentElement.classList.add("nd-fixed");
      line.parentElement.append(summary.dataset.fixed || "");
    }
  }

  function onEdit(event) {
    const name = (event.target.name || "").replace(/_era$/, "");
    if (!name) return;
    clearServerError(name);
    Object.entries(ERROR_INPUTS).forEach(([field, inputs]) => {
      if (inputs.includes(name)) clearServerError(field);
    });
    updatePercentages();
  }
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);

  // --- 必須 that depends on another control (a requested kind, 希望する) -------------------------
  // The server renders the badges and aria-required for the form as it was loaded; this keeps
  // them in step with the checkbox or the radio group they depend on.
  function updateRequired() {
    form.querySelectorAll("[data-required-when]").forEach((badge) => {
      const control = $(badge.dataset.requiredWhen);
      const met = control instanceof RadioNodeList ? control.value === "1" : control.checked;
      badge.hidden = !met;
      const input = $(badge.dataset.requiredFor);
      if (met) input.setAttribute("aria-required", "true");
      else input.removeAttribute("aria-required");
    });
  }
  form.addEventListener("change", updateRequired);
  // The "クリア" buttons change controls without events; their own handlers run first.
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-clear]")) updateRequired();
  });
  updateRequired();

  // --- The header's language switch keeps what was typed ------------------------------------------
  // Its own POST would reload an empty form. Instead this form goes to its own page with
  // action=language: the server shows the same values in the chosen language and saves nothing.
  document.querySelectorAll("form.nd-lang").forEach((switcher) =>
    switcher.addEventListener("submit", (event) => {
      const language = event.submitter && event.submitter.value;
      if (!language) return;
      event.preventDefault();
      Object.entries({ action: "language", language }).forEach(([name, value]) => {
        const input = document.createElement("input");
        Object.assign(input, { type: "hidden", name, value });
        form.append(input);
      });
      form.submit();
    }));
  // ---------------------------------------------------------------------------------------------

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
  if (summary) summary.focus();
})();

