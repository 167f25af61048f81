// Behaviour every page shares, kept out of the templates (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  // A read-only address field selects itself when focused, ready to copy.
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-select-on-focus")) { field.select(); }
  });
})();
