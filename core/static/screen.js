// The lobby screen: the slide's pace drives its progress bar, and a revoked address reloads.
(function () {
  "use strict";
  // The pace comes as data-slide-seconds: the page's Content-Security-Policy allows no inline style.
  function pace(root) {
    var slides = root.matches && root.matches("[data-slide-seconds]") ? [root] : [];
    slides = slides.concat(Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll("[data-slide-seconds]") : []));
    slides.forEach(function (slide) {
      slide.style.setProperty("--slide-seconds", parseInt(slide.getAttribute("data-slide-seconds"), 10) + "s");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { pace(document); });
  document.addEventListener("htmx:load", function (event) { pace(event.target); });
  // A revoked or deleted address: reload, so the screen shows the refusal instead of old slides.
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 403) { window.location.reload(); }
  });
})();
