// Share buttons: the phone's share sheet where there is one, else the address copied to the clipboard.
// Without JavaScript the buttons stay hidden and the address beside them is a plain link.
(function () {
  "use strict";
  function wire(root) {
    root.querySelectorAll("button[data-share-url]").forEach(function (button) {
      if (button.dataset.shareReady) { return; }
      if (!navigator.share && !(navigator.clipboard && window.isSecureContext)) { return; }
      button.dataset.shareReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var url = button.dataset.shareUrl, title = button.dataset.shareTitle || document.title;
        var status = document.getElementById(button.getAttribute("aria-describedby") || "");
        if (navigator.share) {
          navigator.share({ title: title, url: url }).catch(function () {});
        } else {
          navigator.clipboard.writeText(url).then(function () {
            if (status) { status.textContent = button.dataset.shareCopied || ""; }
          });
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:load", function (event) { wire(event.target); });
})();
