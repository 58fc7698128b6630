// The colour theme toggle: without this script the system's light/dark preference applies.
(function () {
  "use strict";
  var root = document.documentElement;
  var key = "citizen-theme";
  var media = window.matchMedia("(prefers-color-scheme: dark)");
  function current() {
    return root.dataset.theme || (media.matches ? "dark" : "light");
  }
  function show(button) {
    var dark = current() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }
  try {
    var saved = window.localStorage.getItem(key);
    if (saved === "dark" || saved === "light") { root.dataset.theme = saved; }
  } catch (e) { /* storage refused: follow the system */ }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    button.hidden = false;
    show(button);
    button.addEventListener("click", function () {
      root.dataset.theme = current() === "dark" ? "light" : "dark";
      try { window.localStorage.setItem(key, root.dataset.theme); } catch (e) { /* ignore */ }
      show(button);
    });
  });
}());
