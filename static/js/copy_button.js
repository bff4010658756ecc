// Copy buttons: <button data-nd-copy="ID" data-nd-copy-status="STATUS-ID" data-nd-copied="…"
// data-nd-copy-failed="…" hidden> puts the text of the element #ID on the clipboard and says so in
// #STATUS-ID (an aria-live region). The buttons stay hidden where the browser offers no clipboard
// (the text can still be selected and copied by hand).
if (navigator.clipboard) {
  document.querySelectorAll("button[data-nd-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.ndCopy);
    const status = document.getElementById(button.dataset.ndCopyStatus);
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        status.textContent = button.dataset.ndCopied;
      } catch {
        // Refused (no permission): select the text, so that the usual copy keys take it.
        const range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        status.textContent = button.dataset.ndCopyFailed;
      }
    });
  });
}
