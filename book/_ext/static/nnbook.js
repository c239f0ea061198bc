// Marks every figure and display formula wider than its column with the class nnbook-wide, so that
// nnbook.css can say, on a narrow screen, that it scrolls sideways. Runs again when the window
// is resized and once MathJax has typeset the page.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".cell_output figure, mjx-container[display='true']").forEach(function (el) {
      el.classList.toggle("nnbook-wide", el.scrollWidth > el.clientWidth + 1);
    });
  }
  window.addEventListener("load", function () {
    mark();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(mark);
    }
  });
  window.addEventListener("resize", mark);
})();
