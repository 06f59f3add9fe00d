/* tracker: the app's own few lines of script (CSP script-src 'self', no library). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  // After a failed submit: focus the first field marked invalid and bring it into view.
  // Again after "load": the browser's scroll to the form's #anchor takes the focus away.
  var invalid = document.querySelector("[aria-invalid=true]");
  function focusInvalid() {
    if (invalid && document.activeElement !== invalid) {
      invalid.focus({ preventScroll: true });
      invalid.scrollIntoView({ block: "center" });
    }
  }
  focusInvalid();
  window.addEventListener("load", function () { window.setTimeout(focusInvalid, 0); });
  // The header menu is a <details>: from 701 px wide it is always shown (style.css);
  // a browser without ::details-content needs it open.
  var menu = document.getElementById("site-menu");
  if (menu && window.CSS && !CSS.supports("selector(::details-content)") &&
      window.matchMedia("(min-width: 701px)").matches) {
    menu.open = true;
  }
  // A table wider than its box gets the "左右滑动查看" hint (style.css, phones).
  function markScrollable() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      box.classList.toggle("is-scrollable", box.scrollWidth > box.clientWidth + 1);
    });
  }
  markScrollable();
  window.addEventListener("resize", markScrollable);
});
