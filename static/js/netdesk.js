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

// The header's menu, folded on narrow screens (Bootstrap's collapse opens and closes it): Escape
// closes it from anywhere inside and gives the focus back to its button, as a disclosure should.
const menu = document.getElementById("nd-menu");
const menuButton = document.querySelector('[data-bs-target="#nd-menu"]');
if (menu && menuButton && window.bootstrap) {
  menu.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || menuButton.getAttribute("aria-expanded") !== "true") return;
    const collapse = window.bootstrap.Collapse.getOrCreateInstance(menu, { toggle: false });
    // Bootstrap ignores hide() while the menu is still opening: fold it once it is open.
    if (menu.classList.contains("collapsing")) {
      menu.addEventListener("shown.bs.collapse", () => collapse.hide(), { once: true });
    } else {
      collapse.hide();
    }
    menuButton.focus();
  });
}
