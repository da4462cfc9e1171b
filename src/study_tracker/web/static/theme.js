// The colour theme: the system's (prefers-color-scheme, Pico's default when <html> has no
// data-theme) until the learner picks one with the toggle; the pick is kept in localStorage.
// Loaded in <head> without defer so a remembered theme applies before the first paint.
(function () {
  "use strict";
  var KEY = "study-tracker-theme";
  var root = document.documentElement;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      var value = localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (e) {
      return null; // storage blocked: follow the system
    }
  }

  function effective() {
    return stored() || (dark.matches ? "dark" : "light");
  }

  var initial = stored();
  if (initial) root.dataset.theme = initial;

  function label(button) {
    var isDark = effective() === "dark";
    button.setAttribute("aria-pressed", isDark ? "true" : "false");
    button.title = isDark ? "Dark theme is on: switch to light" : "Light theme is on: switch to dark";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    button.hidden = false;
    label(button);
    button.addEventListener("click", function () {
      var next = effective() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try {
        localStorage.setItem(KEY, next);
      } catch (e) {
        /* not remembered, still applied to this page */
      }
      label(button);
    });
    dark.addEventListener("change", function () {
      label(button);
    });
  });
})();
