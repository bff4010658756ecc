// The application's page in the admin, while an electronic issuance is pending (発行処理中):
// the worker makes the certificate in the background, so the page asks for itself again every
// few seconds and reloads once nothing is pending any more — staff then see 発行済 (or 発行失敗
// with its reason) without reloading by hand. No inline script: the admin runs under a CSP.
(function () {
  "use strict";

  const PENDING = '[data-issuance="pending"]';
  const INTERVAL_MS = 4000;
  // Polling keeps the staff session alive; after ten minutes the page stops asking (the note
  // beside 発行処理中 still says what to expect, and a reload shows the state).
  const GIVE_UP_AFTER = 150;

  if (!document.querySelector(PENDING)) {
    return;
  }
  let asked = 0;

  async function check() {
    asked += 1;
    try {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        if (!page.querySelector(PENDING)) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The network went away for a moment: ask again at the next turn.
    }
    if (asked < GIVE_UP_AFTER) {
      window.setTimeout(check, INTERVAL_MS);
    }
  }

  window.setTimeout(check, INTERVAL_MS);
})();
