// Date inputs (core.forms.JapaneseDateInput): the 和暦 reading beside each, kept up to date as
// the user types by the server's own reader (/dates/reading/, core.wareki.read_date), so the page
// says exactly what saving will read; and, where the form gives one, the range the date must be in.
(function () {
  "use strict";

  function setUp(input) {
    const reading = document.getElementById(input.id + "_reading");
    const era = document.getElementById(input.id + "_era");
    if (!reading) return;
    let timer = null;
    let asked = 0;

    function show(text, bad) {
      reading.textContent = text;
      reading.classList.toggle("text-danger", bad);
      reading.classList.toggle("nd-wareki-ok", !bad && text !== "");
      if (bad) input.dataset.dateError = text;
      else delete input.dataset.dateError;
    }

    async function update() {
      const text = input.value.trim();
      const mine = ++asked;
      if (!text) { show("", false); return null; }
      const query = new URLSearchParams({ text, era: era ? era.value : "" });
      let answer;
      try {
        const response = await fetch(`${input.dataset.readingUrl}?${query}`, {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (!response.ok) return null;
        answer = await response.json();
      } catch (error) {
        return null; // offline: the server reads the date when the form is saved
      }
      if (mine !== asked) return null; // a later keystroke has asked again
      let error = answer.error;
      const { min, max } = input.dataset;
      if (!error && answer.date && min && max && (answer.date < min || answer.date > max)) {
        error = input.dataset.rangeError;
      }
      show(error || answer.text, Boolean(error));
      return answer;
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 200);
    });
    // Once the user leaves the field, show the date as the server will keep it: 2026-12-01.
    input.addEventListener("change", async () => {
      clearTimeout(timer);
      const answer = await update();
      if (answer && answer.date && !answer.error && input.value.trim() !== answer.date) {
        input.value = answer.date;
      }
    });
    if (era) era.addEventListener("change", update);
  }

  document.querySelectorAll("input[data-date-input]").forEach(setUp);
})();
