// The lobby screen: the slide's pace drives its progress bar, and a revoked address reloads.
(function () {
  "use strict";
  // The pace comes as data-slide-seconds (the page's Content-Security-Policy allows no inline style)
  // and is set on <html>, which htmx never swaps: a style on the slide itself would be copied as an
  // attribute when htmx settles the next slide, which the policy refuses.
  function pace(root) {
    var slide = root.matches && root.matches("[data-slide-seconds]") ? root
      : (root.querySelector ? root.querySelector("[data-slide-seconds]") : null);
    if (slide) {
      var seconds = parseInt(slide.getAttribute("data-slide-seconds"), 10);
      if (seconds > 0) { document.documentElement.style.setProperty("--slide-seconds", seconds + "s"); }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { pace(document); });
  document.addEventListener("htmx:load", function (event) { pace(event.target); });
  // A revoked or deleted address: reload, so the screen shows the refusal instead of old slides.
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 403) { window.location.reload(); }
  });
})();
