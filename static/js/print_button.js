// Buttons marked data-nd-print print the page (with static/css/print.css): CSP forbids the inline
// onclick that would otherwise do it.
document.querySelectorAll("[data-nd-print]").forEach((button) =>
  button.addEventListener("click", () => window.print()));
