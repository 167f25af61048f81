// Behaviour every page shares, kept out of the templates (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  // A read-only address field selects itself when focused, ready to copy.
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-select-on-focus")) { field.select(); }
  });

  // The phone's Menu button is a <details> that works without script; with it, Escape and a
  // click outside the header close the panel, as people expect of a menu.
  function openToggle() { return document.querySelector(".menu-toggle[open]"); }
  document.addEventListener("keydown", function (event) {
    var toggle = openToggle();
    if (event.key === "Escape" && toggle) {
      toggle.open = false;
      toggle.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (event) {
    var toggle = openToggle();
    if (toggle && !event.target.closest(".site-header")) { toggle.open = false; }
  });
})();
