(function () {
  // Find this figure's elements (the script's parent), read the frames, swap the image on input.
  var root = document.currentScript ? document.currentScript.parentNode
                                    : document.getElementById("%(root_id)s");
  var data = JSON.parse(root.querySelector("script.nnbook-figure-data").textContent);
  var img = root.querySelector("img");
  var inputs = root.querySelectorAll("input[type=range]");
  var outputs = root.querySelectorAll("output");
  var note = root.querySelector(".nnbook-figure-note"); if (note) note.hidden = true;
  function show() {
    var frame = 0, parts = [];
    for (var i = 0; i < inputs.length; i++) {
      var j = Number(inputs[i].value), text = data.labels[i][j];
      frame = frame * data.labels[i].length + j;
      outputs[i].textContent = text;
      inputs[i].setAttribute("aria-valuetext", text);
      parts.push(data.names[i] + " = " + text);
    }
    img.src = "data:image/png;base64," + data.frames[data.index[frame]];
    img.alt = data.title + ": " + parts.join(", ") + (data.diverged[frame] ? " (diverged)" : "");
  }
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener("input", show);
})();
