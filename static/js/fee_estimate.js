// 申込作成: 保証料(概算) beside each requested kind's amount (templates/fees/_estimate.html).
// The server computes the estimate (/fees/estimate/); this script only asks and shows. Without it
// the boxes stay hidden and nothing else changes.
(function () {
  "use strict";
  const form = document.getElementById("application-form");
  if (!form) return;
  const FIELDS = {
    advance: { amount: "ag_amount", requested: "ag_requested" },
    contract: { amount: "cg_amount", requested: "cg_requested" },
  };
  const DELAY_MS = 300;
  const field = (name) => form.elements.namedItem(name);
  const value = (name) => (field(name) ? field(name).value.trim() : "");

  function setUp(box) {
    const names = FIELDS[box.dataset.feeEstimate];
    if (!names) return;
    const total = box.querySelector("[data-fee-total]");
    const message = box.querySelector("[data-fee-message]");
    const details = box.querySelector("[data-fee-details]");
    const lines = box.querySelector("[data-fee-lines]");
    let timer = null;
    let controller = null;
    let lastQuery = null;

    function show(fee, text, items, refused = false) {
      total.textContent = fee;
      message.textContent = text;
      message.classList.toggle("nd-fee-refused", refused);
      message.classList.toggle("text-body-secondary", !refused);
      lines.replaceChildren(...items.map((line) => {
        const li = document.createElement("li");
        li.textContent = line;
        return li;
      }));
      details.hidden = items.length === 0;
    }

    function update() {
      const requested = field(names.requested);
      box.hidden = Boolean(requested && !requested.checked);
      const params = {
        kind: box.dataset.feeEstimate,
        amount: value(names.amount),
        contract_date: value("contract_date"),
        period_end: value("period_end"),
      };
      // An amount outside the limits of the rules (marked by application_form.js) could not be
      // sent: say so rather than price it.
      const limitError = field(names.amount) && field(names.amount).dataset.limitError;
      if (!box.hidden && limitError) {
        if (controller) controller.abort();
        lastQuery = null;
        show("", `${box.dataset.refused} ${limitError}`, [], true);
        return;
      }
      if (box.hidden || !params.amount || !params.contract_date || !params.period_end) {
        if (controller) controller.abort();
        lastQuery = null;
        show("", box.dataset.prompt, []);
        return;
      }
      const query = new URLSearchParams(params).toString();
      if (query === lastQuery) return;
      lastQuery = query;
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(box.dataset.url + "?" + query, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
        .then(({ ok, data }) => {
          if (ok) show(data.fee_display, "", data.lines || []);
          else show("", data.error || box.dataset.unavailable, []);
        })
        .catch((error) => {
          if (error.name === "AbortError") return;
          // A network error, or the sign-in page after the session expired: ask again next time.
          lastQuery = null;
          show("", box.dataset.unavailable, []);
        });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(update, DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    // The "クリア" buttons empty fields without firing input events.
    document.addEventListener("click", (event) => {
      if (event.target.closest("[data-clear]")) schedule();
    });
    update();
  }

  document.querySelectorAll("[data-fee-estimate]").forEach(setUp);
})();
