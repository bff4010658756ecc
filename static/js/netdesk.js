// Site-wide behaviour.
// Any form marked data-nd-once: disable its buttons once it is on its way (after the browser has
// read which button was pressed), so a double click sends one request.
document.querySelectorAll("form[data-nd-once]").forEach((form) =>
  form.addEventListener("submit", () =>
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }), 0)));

// Forms marked data-confirm ask before an action that cannot be undone.
document.querySelectorAll("form[data-confirm]").forEach((form) =>
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }, { capture: true }));

// A page restored from the back-forward cache shows its forms as they were left, buttons disabled
// by data-nd-once included, although the application may have been sent since: ask the server.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.querySelector("form[data-nd-once]")) window.location.reload();
});
