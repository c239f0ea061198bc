(function () {
  // Find this figure's elements (the script's parent), read the frames, swap the image on input.
  // In a notebook the frames are in the figure's JSON (data.frames). The web book moves them to a
  // script file of their own (data.src, written by book/_ext/nnbook_site.py), loaded here when the
  // figure comes near the screen; until then the image shows the figure's first frame.
  var root = document.currentScript ? document.currentScript.parentNode
                                    : document.getElementById("%(root_id)s");
  var data = JSON.parse(root.querySelector("script.nnbook-figure-data").textContent);
  var img = root.querySelector("img");
  var inputs = root.querySelectorAll("input[type=range]");
  var outputs = root.querySelectorAll("output");
  var note = root.querySelector(".nnbook-figure-note"); if (note) note.hidden = true;
  var frames = data.frames, type = data.type || "image/png";
  function show() {
    var frame = 0, parts = [];
    for (var i = 0; i < inputs.length; i++) {
      var j = Number(inputs[i].value), text = data.labels[i][j];
      frame = frame * data.labels[i].length + j;
      outputs[i].textContent = text;
      inputs[i].setAttribute("aria-valuetext", text);
      parts.push(data.names[i] + " = " + text);
    }
    if (frames) img.src = "data:" + type + ";base64," + frames[data.index[frame]];
    img.alt = data.title + ": " + parts.join(", ") + (data.diverged[frame] ? " (diverged)" : "");
  }
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener("input", show);
  if (frames || !data.src) return;
  // The frames file calls nnbookFrames(figure id, image type, frames): a script, not fetch(),
  // so that it works from file:// too.
  var waiting = window.nnbookFrameHandlers = window.nnbookFrameHandlers || {};
  window.nnbookFrames = window.nnbookFrames || function (id, kind, list) {
    if (waiting[id]) waiting[id](kind, list);
  };
  waiting[root.id] = function (kind, list) {
    delete waiting[root.id];
    type = kind;
    frames = list;
    root.setAttribute("data-nnbook-frames", "loaded");
    show();
  };
  function load() {
    if (root.hasAttribute("data-nnbook-frames")) return;
    root.setAttribute("data-nnbook-frames", "loading");
    var script = document.createElement("script");
    script.src = data.src;
    script.onerror = function () { root.setAttribute("data-nnbook-frames", "failed"); };
    document.head.appendChild(script);
  }
  if (!("IntersectionObserver" in window)) return load();
  var observer = new IntersectionObserver(function (entries) {
    for (var k = 0; k < entries.length; k++) {
      if (entries[k].isIntersecting) { observer.disconnect(); load(); return; }
    }
  }, {rootMargin: "400px 0px"});
  observer.observe(root);
  // A reader who reaches a slider by keyboard before it scrolls into view still gets its frames.
  root.addEventListener("focusin", load);
})();
