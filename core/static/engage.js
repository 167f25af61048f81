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
  // A form for a destructive or hard-to-undo action carries data-confirm, the question to ask.
  // Asked here before htmx or the browser sends it (capture phase); on "OK" it is sent with
  // confirmed=1. Without JavaScript the server asks the same question on a page of its own.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    var answer = form.querySelector("input[name=confirmed]");
    if (!answer) {
      answer = document.createElement("input");
      answer.type = "hidden";
      answer.name = "confirmed";
      form.appendChild(answer);
    }
    answer.value = "1";
  }, true);
})();
