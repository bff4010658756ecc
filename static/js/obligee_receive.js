// Receiving without typing (obligees/receive.py).

// Notice PDFs dropped on [data-nd-drop] go into its file input and the form is sent at once; the
// file input and its button stay the keyboard (and no-script) way to the same form. The status
// line (aria-live) says that the files are on their way; the server answers file by file.
document.querySelectorAll("[data-nd-drop]").forEach((zone) => {
  const form = zone.closest("form");
  const input = zone.querySelector("input[type=file]");
  const status = document.getElementById(zone.dataset.ndDropStatus);
  // A file dropped just beside the zone would make the browser leave the page to show the PDF.
  ["dragover", "drop"].forEach((type) => document.addEventListener(type, (event) => event.preventDefault()));
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("nd-drop-over");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("nd-drop-over")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });
  form.addEventListener("submit", (event) => {
    if (!input.files.length) {
      event.preventDefault();
      input.focus();
      return;
    }
    status.textContent = zone.dataset.ndSending.replace("{count}", input.files.length);
  });
});

// The page the notice's QR code opens: /obligee/receive/#n=<number>&k=<key>. The fragment never
// reaches the server, so it is read here. Signed out, it is kept in this tab's sessionStorage
// across the sign-in (whose POST would lose it); signed in, it fills the registration form for
// the user to confirm, and leaves the address bar and the history at once.
const STASH = "nd-receive";
const fragment = window.location.hash.slice(1);

const stash = document.querySelector("a[data-nd-receive-stash]");
if (stash) {
  if (fragment) sessionStorage.setItem(STASH, fragment);
  window.location.replace(stash.href);
}

const receiveForm = document.querySelector("form[data-nd-receive]");
if (receiveForm) {
  const values = new URLSearchParams(fragment || sessionStorage.getItem(STASH) || "");
  sessionStorage.removeItem(STASH);
  if (window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  const number = values.get("n");
  const key = values.get("k");
  if (number && key) {
    const { elements } = receiveForm;
    elements.number.value = number.slice(0, elements.number.maxLength);
    elements.key.value = key.slice(0, elements.key.maxLength);
    document.getElementById(receiveForm.dataset.ndReceiveTyped).hidden = true;
    document.getElementById(receiveForm.dataset.ndReceive).hidden = false;
    receiveForm.querySelector("button[type=submit]").focus();
  }
}
