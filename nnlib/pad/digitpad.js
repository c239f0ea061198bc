/* The drawing pad of "Neural Networks from Scratch" (chapters 7 and 12).
 *
 * Three parts, each small enough to read:
 *   1. the forward pass, one function per layer type (affine, sigmoid, relu, softmax, conv, max-pool);
 *   2. the preprocessing, the twin of nnlib/drawing.py: strokes -> round pen on a 112 x 112 grid ->
 *      MNIST style (bounding box into 20 x 20 keeping the aspect ratio, centre of mass at the
 *      centre of 28 x 28, grey levels kept);
 *   3. the pad itself: a canvas for mouse, pen and touch, a Clear button, the image the network
 *      sees, the ten probabilities as bars, the guess, and what the first hidden layer does.
 * The weights come from a file written by scripts/export_web_weights.py, loaded with a <script>
 * tag (so the page works from file:// as well) only when the pad scrolls into view. Nothing the
 * reader draws leaves the page. The same file is the JupyterLab widget's front end (nnlib/pad).
 */
var NNPad = (typeof window !== "undefined" && window.NNPad) || (function () {
  "use strict";

  // ------------------------------------------------------------------------------------------
  // 1. Layers. A tensor is {data: Float32Array, shape: [...]}, stored row-major like NumPy's.
  // ------------------------------------------------------------------------------------------

  // y = W x + b, W of shape (n_out, n_in) as in nnlib.layers.Affine
  function affine(x, W, b) {
    const [nOut, nIn] = W.shape, y = new Float32Array(nOut);
    for (let o = 0; o < nOut; o++) {
      let sum = 0;
      const row = o * nIn;
      for (let i = 0; i < nIn; i++) sum += W.data[row + i] * x.data[i];
      y[o] = sum + b.data[o];
    }
    return {data: y, shape: [nOut]};
  }

  function elementwise(x, f) {
    return {data: x.data.map(f), shape: x.shape};
  }
  const sigmoid = x => elementwise(x, v => 1 / (1 + Math.exp(-v)));
  const relu = x => elementwise(x, v => (v > 0 ? v : 0));

  function softmax(x) {
    const max = Math.max(...x.data);
    const e = Array.from(x.data, v => Math.exp(v - max));
    const total = e.reduce((a, v) => a + v, 0);
    return {data: Float32Array.from(e, v => v / total), shape: x.shape};
  }

  // valid cross-correlation, stride 1: x (C, H, W), W (F, C, K, K) -> (F, H-K+1, W-K+1)
  function conv(x, W, b) {
    const [C, H, Wd] = x.shape, [F, , K] = W.shape;
    const OH = H - K + 1, OW = Wd - K + 1, y = new Float32Array(F * OH * OW);
    for (let f = 0; f < F; f++)
      for (let r = 0; r < OH; r++)
        for (let c = 0; c < OW; c++) {
          let sum = 0;
          for (let ch = 0; ch < C; ch++)
            for (let i = 0; i < K; i++)
              for (let j = 0; j < K; j++)
                sum += W.data[((f * C + ch) * K + i) * K + j] * x.data[(ch * H + r + i) * Wd + c + j];
          y[(f * OH + r) * OW + c] = sum + b.data[f];
        }
    return {data: y, shape: [F, OH, OW]};
  }

  // 2 x 2 max pooling with stride 2: (C, H, W) -> (C, H/2, W/2)
  function maxpool(x) {
    const [C, H, W] = x.shape, OH = H >> 1, OW = W >> 1, y = new Float32Array(C * OH * OW);
    for (let ch = 0; ch < C; ch++)
      for (let r = 0; r < OH; r++)
        for (let c = 0; c < OW; c++) {
          const at = (ch * H + 2 * r) * W + 2 * c;
          y[(ch * OH + r) * OW + c] = Math.max(x.data[at], x.data[at + 1], x.data[at + W], x.data[at + W + 1]);
        }
    return {data: y, shape: [C, OH, OW]};
  }

  const LAYERS = {affine, sigmoid, relu, softmax, conv, maxpool};

  // Run a network ({layers: [{type, W, b}]}) on a 28 x 28 image; every layer's output, in order.
  function forward(net, image) {
    let x = {data: Float32Array.from(image), shape: net.input};
    const outputs = [];
    for (const layer of net.layers) {
      if (layer.type === "affine" && x.shape.length > 1) x = {data: x.data, shape: [x.data.length]};  // flatten
      x = layer.W ? LAYERS[layer.type](x, layer.W, layer.b) : LAYERS[layer.type](x);
      outputs.push(x);
    }
    return outputs;
  }

  // ------------------------------------------------------------------------------------------
  // The weights: a base64 string of float16 (or float32) numbers, parameter after parameter.
  // ------------------------------------------------------------------------------------------

  function float16ToNumber(h) {
    const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24;                 // subnormal
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }

  function decode(spec) {
    const bytes = Uint8Array.from(atob(spec.data), ch => ch.charCodeAt(0));
    const view = new DataView(bytes.buffer), half = spec.dtype === "float16";
    let at = 0;
    function take(shape) {
      const n = shape.reduce((a, v) => a * v, 1), data = new Float32Array(n);
      for (let i = 0; i < n; i++, at += half ? 2 : 4)
        data[i] = half ? float16ToNumber(view.getUint16(at, true)) : view.getFloat32(at, true);
      return {data, shape};
    }
    const layers = spec.layers.map(l => (l.W ? {type: l.type, W: take(l.W), b: take(l.b)} : {type: l.type}));
    return {name: spec.name, title: spec.title, input: spec.input, inside: spec.inside, layers};
  }

  // ------------------------------------------------------------------------------------------
  // 2. Preprocessing (nnlib/drawing.py says the same in NumPy)
  // ------------------------------------------------------------------------------------------

  const GRID = 112, RADIUS = 0.04, BOX = 20, SIZE = 28;
  const round = v => Math.floor(v + 0.5);

  // Strokes (lists of [x, y] in pad units, the pad being [0, 1] x [0, 1]) drawn with a round pen:
  // ink in [0, 1] on a grid x grid image, with a soft edge one pixel wide.
  function rasterize(strokes, grid = GRID, radius = RADIUS) {
    const reach = radius * grid + 0.5, distance = new Float64Array(grid * grid).fill(Infinity);
    for (const stroke of strokes) {
      const p = stroke.map(([x, y]) => [x * grid, y * grid]);
      const segments = p.length > 1 ? p.slice(1).map((b, k) => [p[k], b]) : [[p[0], p[0]]];
      for (const [[ax, ay], [bx, by]] of segments) {
        const c0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach)), c1 = Math.min(grid, Math.ceil(Math.max(ax, bx) + reach) + 1);
        const r0 = Math.max(0, Math.floor(Math.min(ay, by) - reach)), r1 = Math.min(grid, Math.ceil(Math.max(ay, by) + reach) + 1);
        const dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
        for (let r = r0; r < r1; r++)
          for (let c = c0; c < c1; c++) {
            const px = c + 0.5, py = r + 0.5;
            const t = length2 > 0 ? Math.min(Math.max(((px - ax) * dx + (py - ay) * dy) / length2, 0), 1) : 0;
            const ex = px - (ax + t * dx), ey = py - (ay + t * dy), d = Math.sqrt(ex * ex + ey * ey);
            if (d < distance[r * grid + c]) distance[r * grid + c] = d;
          }
      }
    }
    return {data: distance.map(d => Math.min(Math.max(reach - d, 0), 1)), rows: grid, cols: grid};
  }

  // (nOut x nIn) weights: output pixel i averages the input pixels it covers (exact overlaps)
  function areaWeights(nIn, nOut) {
    const w = new Float64Array(nOut * nIn), step = nIn / nOut;
    for (let i = 0; i < nOut; i++) {
      const lo = i * step, hi = (i + 1) * step;
      for (let k = Math.floor(lo); k < Math.min(nIn, Math.ceil(hi)); k++) {
        const overlap = Math.min(hi, k + 1) - Math.max(lo, k);
        if (overlap > 0) w[i * nIn + k] = overlap / step;
      }
    }
    return w;
  }

  // A grey image {data, rows, cols} (ink 1, paper 0) as MNIST's 28 x 28, or null if it is empty.
  function mnistStyle(image) {
    const {data, rows, cols} = image;
    let top = rows, bottom = -1, left = cols, right = -1;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++)
        if (data[r * cols + c] > 0) {
          top = Math.min(top, r); bottom = Math.max(bottom, r);
          left = Math.min(left, c); right = Math.max(right, c);
        }
    if (bottom < 0) return null;
    const h = bottom - top + 1, w = right - left + 1, scale = BOX / Math.max(h, w);
    const nh = Math.max(1, round(h * scale)), nw = Math.max(1, round(w * scale));
    const R = areaWeights(h, nh), Cw = areaWeights(w, nw);
    const tmp = new Float64Array(nh * w), patch = new Float64Array(nh * nw);     // R @ crop @ Cw.T
    for (let i = 0; i < nh; i++)
      for (let c = 0; c < w; c++) {
        let s = 0;
        for (let k = 0; k < h; k++) s += R[i * h + k] * data[(top + k) * cols + left + c];
        tmp[i * w + c] = s;
      }
    let mass = 0, my = 0, mx = 0;
    for (let i = 0; i < nh; i++)
      for (let j = 0; j < nw; j++) {
        let s = 0;
        for (let c = 0; c < w; c++) s += tmp[i * w + c] * Cw[j * w + c];
        patch[i * nw + j] = s;
        mass += s; my += s * (i + 0.5); mx += s * (j + 0.5);
      }
    const y0 = Math.min(Math.max(round(SIZE / 2 - my / mass), 0), SIZE - nh);
    const x0 = Math.min(Math.max(round(SIZE / 2 - mx / mass), 0), SIZE - nw);
    const out = new Float32Array(SIZE * SIZE);
    for (let i = 0; i < nh; i++)
      for (let j = 0; j < nw; j++) out[(y0 + i) * SIZE + x0 + j] = Math.min(Math.max(patch[i * nw + j], 0), 1);
    return out;
  }

  const drawingToMnist = strokes => (strokes.length ? mnistStyle(rasterize(strokes)) : null);

  // ------------------------------------------------------------------------------------------
  // 3. The pad
  // ------------------------------------------------------------------------------------------

  const networks = {}, waiting = {};

  // Called by a weights file: NNPad.weights("mlp", {...}).
  function weights(key, spec) {
    networks[key] = decode(spec);
    (waiting[key] || []).forEach(done => done(networks[key]));
    delete waiting[key];
  }

  function loadNetwork(key, url) {
    if (networks[key]) return Promise.resolve(networks[key]);
    return new Promise((resolve, reject) => {
      if (!waiting[key]) {
        waiting[key] = [];
        const tag = document.createElement("script");
        tag.src = url;
        tag.onerror = () => reject(new Error("could not load " + url));
        document.head.appendChild(tag);
      }
      waiting[key].push(resolve);
    });
  }

  function element(tag, className, parent, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // grey values in [0, 1] (or scaled by `top`) into a canvas of rows x cols pixels, ink dark
  function paint(canvas, values, rows, cols, top = 1) {
    canvas.width = cols; canvas.height = rows;
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(cols, rows);
    for (let k = 0; k < rows * cols; k++) {
      const v = 255 - Math.round(255 * Math.min(Math.max(values[k] / top, 0), 1));
      img.data.set([v, v, v, 255], 4 * k);
    }
    ctx.putImageData(img, 0, 0);
  }

  const STYLE = `
.nnpad{border:1px solid #bbb;border-radius:6px;padding:.7em;margin:1em 0;max-width:100%;box-sizing:border-box;background:#fff;color:#222}
.nnpad-row{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
.nnpad-left{flex:0 1 260px;min-width:0}
.nnpad-canvas{width:100%;max-width:260px;aspect-ratio:1/1;touch-action:none;border:1px solid #888;display:block;cursor:crosshair;background:#fff}
.nnpad-buttons{display:flex;gap:.6em;align-items:center;margin-top:.4em;flex-wrap:wrap}
.nnpad-clear{font:inherit;padding:.25em 1em;border:1px solid #888;border-radius:4px;background:#f4f4f4;color:#222;cursor:pointer}
.nnpad-status{font-size:.8em;color:#555}
.nnpad-right{flex:1 1 220px;min-width:0;max-width:340px}
.nnpad-input{width:84px;height:84px;image-rendering:pixelated;border:1px solid #888;display:block}
.nnpad-guess{font-size:1.3em;font-weight:600;margin:.3em 0;min-height:1.4em}
.nnpad-bars{display:flex;gap:4px;height:110px}
.nnpad-bar{flex:1;display:flex;flex-direction:column}
.nnpad-track{flex:1;position:relative;background:#eee}
.nnpad-fill{position:absolute;bottom:0;left:0;right:0;background:#7a9cc6}
.nnpad-top .nnpad-fill{background:#d9642b}
.nnpad-digit{text-align:center;font-size:.85em}
.nnpad-inside{margin-top:.6em}
.nnpad-maps{display:flex;flex-wrap:wrap;gap:3px;margin-top:.2em}
.nnpad-map{width:44px;height:44px;image-rendering:pixelated;border:1px solid #ccc}
.nnpad-hidden{width:160px;height:160px;image-rendering:pixelated;border:1px solid #ccc}
.nnpad-caption{font-size:.8em;color:#555}`;

  function addStyle() {
    if (document.getElementById("nnpad-style")) return;
    const tag = document.createElement("style");
    tag.id = "nnpad-style";
    tag.textContent = STYLE;
    document.head.appendChild(tag);
  }

  // Build a pad inside `root`. options: {title, inside: "hidden"|"maps", example: strokes,
  // onStrokes(strokes): called after each stroke and on Clear (the widget sends them to the kernel)}.
  // Returns {strokes(), clear(), setStrokes(s), show({image, probabilities, inside})}.
  function createPad(root, options) {
    addStyle();
    root.classList.add("nnpad");
    root.innerHTML = "";
    const row = element("div", "nnpad-row", root);
    const left = element("div", "nnpad-left", row);
    const canvas = element("canvas", "nnpad-canvas", left);
    canvas.setAttribute("aria-label", "Drawing pad: draw one digit with the mouse, a pen or a finger");
    canvas.setAttribute("role", "img");
    const buttons = element("div", "nnpad-buttons", left);
    const clearButton = element("button", "nnpad-clear", buttons, "Clear");
    clearButton.type = "button";
    const status = element("span", "nnpad-status", buttons, "");
    const right = element("div", "nnpad-right", row);
    const seenBox = element("div", "nnpad-seen", right);
    const seen = element("canvas", "nnpad-input", seenBox);
    seen.setAttribute("aria-label", "The 28 x 28 image the network reads");
    element("div", "nnpad-caption", seenBox, "what the network reads (28 × 28)");
    const guess = element("div", "nnpad-guess", right, "");
    guess.setAttribute("aria-live", "polite");
    const bars = element("div", "nnpad-bars", right);
    bars.setAttribute("role", "img");
    const bar = [];
    for (let d = 0; d < 10; d++) {
      const col = element("div", "nnpad-bar", bars);
      const track = element("div", "nnpad-track", col);
      bar.push({fill: element("div", "nnpad-fill", track), col});
      element("div", "nnpad-digit", col, String(d));
    }
    const inside = element("div", "nnpad-inside", root);
    const insideTitle = element("div", "nnpad-caption", inside, "");
    const insideBox = element("div", "nnpad-maps", inside);

    let strokes = [], current = null;
    function resize() {
      const side = Math.max(120, Math.round(canvas.getBoundingClientRect().width || 240));
      const ratio = window.devicePixelRatio || 1;
      canvas.width = canvas.height = Math.round(side * ratio);
      redraw();
    }
    function redraw() {
      const ctx = canvas.getContext("2d"), s = canvas.width;
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, s, s);
      ctx.strokeStyle = "#111"; ctx.fillStyle = "#111";
      ctx.lineWidth = 2 * RADIUS * s; ctx.lineCap = "round"; ctx.lineJoin = "round";
      for (const stroke of strokes) {
        ctx.beginPath();
        ctx.moveTo(stroke[0][0] * s, stroke[0][1] * s);
        if (stroke.length === 1) ctx.arc(stroke[0][0] * s, stroke[0][1] * s, RADIUS * s, 0, 2 * Math.PI);
        stroke.forEach(([x, y]) => ctx.lineTo(x * s, y * s));
        stroke.length === 1 ? ctx.fill() : ctx.stroke();
      }
    }
    function point(event) {
      const box = canvas.getBoundingClientRect(), r4 = v => Math.round(v * 1e4) / 1e4;
      return [r4((event.clientX - box.left) / box.width), r4((event.clientY - box.top) / box.height)];
    }
    let pending = false;
    function changed(final) {
      redraw();
      if (options.onStrokes && final) options.onStrokes(strokes.map(s => s.slice()));
      if (options.onDraw && !pending) {
        pending = true;
        requestAnimationFrame(() => { pending = false; options.onDraw(strokes); });
      }
    }
    canvas.addEventListener("pointerdown", e => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      current = [point(e)];
      strokes.push(current);
      changed(false);
    });
    canvas.addEventListener("pointermove", e => {
      if (!current) return;
      const p = point(e), last = current[current.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.005) return;
      current.push(p);
      changed(false);
    });
    const finish = () => { if (current) { current = null; changed(true); } };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    clearButton.addEventListener("click", () => { strokes = []; current = null; changed(true); });

    const api = {
      strokes: () => strokes.map(s => s.slice()),
      clear: () => clearButton.click(),
      setStrokes(s) { strokes = s.map(stroke => stroke.map(p => [p[0], p[1]])); changed(true); },
      status: text => { status.textContent = text; },
      // image: 784 grey levels (or null), probabilities: 10 numbers, insideValues: {values, shape}
      show({image, probabilities, insideValues}) {
        paint(seen, image || new Float32Array(SIZE * SIZE), SIZE, SIZE);
        if (!image || !probabilities) {
          guess.textContent = image ? "" : "Draw a digit";
          bar.forEach(b => { b.fill.style.height = "0%"; b.col.classList.remove("nnpad-top"); });
          insideBox.innerHTML = "";
          root.dataset.guess = "";
          bars.setAttribute("aria-label", "no probabilities yet");
          return;
        }
        const p = Array.from(probabilities), best = p.indexOf(Math.max(...p));
        guess.textContent = `Guess: ${best} (${(100 * p[best]).toFixed(0)} %)`;
        root.dataset.guess = String(best);
        bars.setAttribute("aria-label", "probabilities: " + p.map((v, d) => `${d}: ${(100 * v).toFixed(0)} %`).join(", "));
        bar.forEach((b, d) => {
          b.fill.style.height = (100 * p[d]).toFixed(1) + "%";
          b.col.classList.toggle("nnpad-top", d === best);
          b.col.title = `${d}: ${(100 * p[d]).toFixed(1)} %`;
        });
        if (insideValues) showInside(insideValues);
      },
    };
    function showInside({values, shape}) {
      insideBox.innerHTML = "";
      let top = 0;
      for (const v of values) top = Math.max(top, v);
      if (shape.length === 1) {         // hidden neurons, a 10-column grid
        insideTitle.textContent = `the ${shape[0]} hidden neurons' activations (dark = near 1)`;
        const c = element("canvas", "nnpad-hidden", insideBox);
        const cols = 10, rows = Math.ceil(shape[0] / cols), padded = new Float32Array(rows * cols);
        padded.set(values);
        paint(c, padded, rows, cols, 1);
      } else {                          // feature maps of a convolutional layer
        const [F, H, W] = shape;
        insideTitle.textContent = `the ${F} feature maps of the first layer, after ReLU (dark = large)`;
        for (let f = 0; f < F; f++) {
          const c = element("canvas", "nnpad-map", insideBox);
          paint(c, values.subarray(f * H * W, (f + 1) * H * W), H, W, top || 1);
        }
      }
    }
    new ResizeObserver(resize).observe(canvas);
    resize();
    if (options.example) api.setStrokes(options.example);
    return api;
  }

  // The pad of the web book: <div class="nnpad" data-nnpad-model="mlp" data-nnpad-src="...js">.
  function mountStatic(root) {
    if (root.dataset.nnpadMounted) return;
    root.dataset.nnpadMounted = "1";
    const key = root.dataset.nnpadModel, url = root.dataset.nnpadSrc;
    const example = root.dataset.nnpadExample ? JSON.parse(root.dataset.nnpadExample) : null;
    let net = null;
    const pad = createPad(root, {example, onDraw: strokes => run(strokes)});
    function run(strokes) {
      const image = drawingToMnist(strokes);
      if (!net || !image) return pad.show({image});
      const outputs = forward(net, image);
      const o = outputs[net.inside];
      pad.show({image, probabilities: outputs[outputs.length - 1].data,
                insideValues: {values: o.data, shape: o.shape}});
    }
    pad.status("loading the network…");
    const start = () => loadNetwork(key, url).then(n => {
      net = n;
      pad.status(n.title);
      run(pad.strokes());                 // the example, or what the reader drew meanwhile
      root.dataset.nnpadReady = "1";
    }, error => pad.status(error.message));
    if ("IntersectionObserver" in window) {
      const seen = new IntersectionObserver(entries => {
        if (entries.some(e => e.isIntersecting)) { seen.disconnect(); start(); }
      }, {rootMargin: "300px"});
      seen.observe(root);
    } else start();
    root.nnpad = pad;
  }

  function mountAll() {
    document.querySelectorAll(".nnpad[data-nnpad-model]").forEach(mountStatic);
  }

  return {affine, sigmoid, relu, softmax, conv, maxpool, forward, decode, float16ToNumber,
          rasterize, mnistStyle, drawingToMnist, weights, loadNetwork, createPad, mountStatic,
          mountAll, networks, GRID, RADIUS};
})();

if (typeof window !== "undefined") {
  window.NNPad = NNPad;
  // As a plain <script> in the web book: mount every pad of the page.
  if (typeof document !== "undefined" && document.currentScript) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", NNPad.mountAll);
    else NNPad.mountAll();
  }
}
