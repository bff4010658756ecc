// 発注者: turns the name box of templates/applications/_obligee_combobox.html into an editable
// combobox with list autocomplete (WAI-ARIA 1.2; the APG "list autocomplete with manual
// selection" pattern) over /obligees/search/. Typing shows candidates; ↓/↑ move through them,
// Enter or Tab chooses, Escape closes the list (and, when it is closed, empties the box); a click
// or a tap chooses too. The chosen id goes into the hidden input `obligee`, with the obligee's
// name and e-guarantee dates for the notes beside the format choices. Without this script the
// box is a plain text box and the server resolves the typed name.
(function () {
  "use strict";
  const DELAY_MS = 150;

  function setUp(root) {
    const input = root.querySelector('input[type="text"]');
    const hidden = root.querySelector("input[data-obligee-id]");
    const list = root.querySelector('[role="listbox"]');
    const status = root.querySelector("[data-combobox-status]");
    const answers = new Map(); // query → {results, more}: typing back and forth asks once
    let results = [];
    let active = -1;
    let chosenLabel = hidden.value ? input.value : null;
    let shown = null; // the query whose candidates `results` holds
    let activateFirst = false; // ↓ was pressed before the candidates arrived
    let timer = null;
    let controller = null;
    let pending = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);
    const isOpen = () => !list.hidden;

    // Counts are for screen readers (sighted users see the list); "no match" and errors are
    // shown under the box as well.
    function announce(text, visible = false) {
      status.textContent = text;
      status.classList.toggle("visually-hidden", !visible);
    }

    function open() {
      if (!results.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function setActive(index) {
      const options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (active < 0 || !options[active]) {
        active = -1;
        input.removeAttribute("aria-activedescendant");
        return;
      }
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function move(delta) {
      if (!results.length) return;
      open();
      const count = results.length;
      setActive(active < 0 ? (delta > 0 ? 0 : count - 1) : (active + delta + count) % count);
    }

    function show(answer, query) {
      shown = query;
      results = answer.results;
      list.replaceChildren(...results.map((result, index) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = String(index);
        option.textContent = result.label;
        return option;
      }));
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!results.length) {
        close();
        announce(root.dataset.none, true);
        return;
      }
      open();
      if (activateFirst) setActive(0);
      activateFirst = false;
      announce(fill(answer.more ? root.dataset.more : root.dataset.count, { n: results.length }));
    }

    function choose(index) {
      const result = results[index];
      if (!result) return;
      // A search still on its way (typed just before the click) must not reopen the list.
      clearTimeout(timer);
      if (controller) controller.abort();
      pending = null;
      input.value = result.label;
      chosenLabel = result.label;
      hidden.value = String(result.id);
      hidden.dataset.name = result.name;
      setDate("eAdvance", result.e_advance_since);
      setDate("eContract", result.e_contract_since);
      close();
      announce("");
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function setDate(key, value) {
      if (value) hidden.dataset[key] = value;
      else delete hidden.dataset[key];
    }

    function unchoose() {
      if (!hidden.value) return;
      chosenLabel = null;
      hidden.value = "";
      ["name", "eAdvance", "eContract"].forEach((key) => delete hidden.dataset[key]);
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function search() {
      const query = input.value.trim();
      if (controller) controller.abort();
      if (!query) {
        pending = null;
        shown = null;
        results = [];
        list.replaceChildren();
        close();
        announce("");
        return;
      }
      pending = query;
      if (answers.has(query)) {
        show(answers.get(query), query);
        return;
      }
      controller = new AbortController();
      fetch(`${root.dataset.url}?${new URLSearchParams({ q: query })}`, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
        .then(({ ok, data }) => {
          if (query !== pending) return;
          if (ok) {
            answers.set(query, data);
            show(data, query);
          } else {
            show({ results: [], more: false }, query);
            announce(data.error || root.dataset.unavailable, true);
          }
        })
        .catch((error) => {
          if (error.name === "AbortError" || query !== pending) return;
          show({ results: [], more: false }, null);
          announce(root.dataset.unavailable, true);
        });
    }

    input.addEventListener("input", () => {
      // Text that no longer names the chosen obligee un-chooses it: clearing the box clears it.
      if (input.value !== chosenLabel) unchoose();
      activateFirst = false;
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      // Keys that confirm or move through an input method's conversion are the IME's.
      if (event.isComposing || event.keyCode === 229) return;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (shown !== input.value.trim()) {
            clearTimeout(timer);
            activateFirst = true;
            search(); // what was just typed has not been asked yet
          } else if (event.altKey) open();
          else move(1);
          break;
        case "ArrowUp":
          event.preventDefault();
          move(-1);
          break;
        case "Enter":
          // With the list open, Enter chooses (or just closes it) instead of sending the form.
          if (!isOpen()) break;
          event.preventDefault();
          if (active >= 0) choose(active);
          else close();
          break;
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            close();
          } else if (input.value) {
            event.preventDefault();
            input.value = "";
            unchoose();
            search();
          }
          break;
        case "Tab":
          if (isOpen() && active >= 0) choose(active);
          else close();
          break;
        default:
          break;
      }
    });

    // Keep the focus in the box while an option is clicked or tapped.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) choose(Number(option.dataset.index));
      input.focus();
    });
    input.addEventListener("blur", close);
    // Back in the box after clicking elsewhere: the candidates of what is typed come back.
    input.addEventListener("click", () => {
      if (!hidden.value && shown === input.value.trim()) open();
    });
  }

  document.querySelectorAll("[data-obligee-combobox]").forEach(setUp);
})();
