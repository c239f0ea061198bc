// Prepares a page with stored Jupyter widgets for the widget manager the site serves itself.
// Loaded only on pages with widgets, before require.js and the manager (nb_ipywidgets_js in
// _config.yml). Two fixes, each found by the browser test (tests/test_site_browser.py):
//
// 1. Where the manager's icon fonts are. @jupyter-widgets/html-manager 1.0 finds its font files
//    relative to its AMD module id, which without configuration is resolved against the page's
//    own folder (chapters/@jupyter-widgets/html-manager/dist/*.woff2: 404). A require.js
//    configuration, given as a global `require` object before require.js loads, maps the id to
//    the folder the site serves the manager from (_static/widgets/, next to this file).
// 2. MathJax 3. The manager typesets widget labels with the MathJax 2 call
//    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); MathJax 3 has no Hub, so every widget
//    page threw "Cannot read properties of undefined (reading 'Queue')". The call is mapped onto
//    MathJax 3's typesetPromise.
(function () {
  var here = document.currentScript && document.currentScript.src;
  if (here && typeof window.require === "undefined") {
    window.require = {
      paths: {"@jupyter-widgets/html-manager/dist": new URL("widgets", here).href}
    };
  }

  function installHub() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.startup) return;   // not loaded yet, already done, or MathJax 2
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : undefined;
        mj.startup.promise
          .then(function () { return mj.typesetPromise(element ? [element] : undefined); })
          .catch(function (err) { console.warn("MathJax could not typeset a widget:", err); });
      }
    };
  }
  installHub();
  document.addEventListener("DOMContentLoaded", installHub);
})();
