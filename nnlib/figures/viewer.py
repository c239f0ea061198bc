"""The static grid of slider values and the self-contained HTML viewer that swaps its frames
(the viewer's JavaScript is ``viewer.js`` beside this file)."""
import base64
import html
import json
import math
from importlib import resources

import numpy as np

from .frames import _values_text


def _subset(n, default_index, k):
    """Indices of about `k` of `n` grid values, evenly spread, always with 0, n-1 and the default."""
    if k >= n:
        return list(range(n))
    chosen = sorted({int(round(i)) for i in np.linspace(0, n - 1, k)})
    if default_index not in chosen:  # the nearest inner point gives way to the default
        inner = chosen[1:-1]
        if inner:
            chosen.remove(min(inner, key=lambda i: abs(i - default_index)))
        chosen = sorted(chosen + [default_index])
    return chosen


def static_grid(sliders, max_frames):
    """For each slider, the indices of its values drawn in static mode (at most about
    `max_frames` frames in all; the largest slider is thinned first)."""
    counts = [len(s.values) for s in sliders]
    defaults = [s.default_index for s in sliders]
    keep = list(counts)
    while True:
        subsets = [_subset(n, d, k) for n, d, k in zip(counts, defaults, keep)]
        if math.prod(len(s) for s in subsets) <= max_frames:
            return subsets
        largest = max(range(len(keep)), key=lambda i: len(subsets[i]))
        if len(subsets[largest]) <= 3:
            return subsets
        keep[largest] = min(keep[largest], len(subsets[largest])) - 1


# The viewer's JavaScript, a template with one %(root_id)s, shipped as package data next to this file.
_VIEWER_JS = resources.files(__package__).joinpath("viewer.js").read_text(encoding="utf-8").rstrip("\n")


def viewer_script(root_id):
    """The viewer's <script> element for the figure whose root element has id `root_id`.
    (The web book's build puts the current one into every figure: book/_ext/nnbook_site.py.)"""
    return f"<script>\n{_VIEWER_JS % {'root_id': root_id}}\n</script>"


def _static_html(name, sliders, subsets, frames, size):
    """The self-contained viewer: default frame, one range input per slider, frames as JSON."""
    names = list(sliders)
    unique, index = [], []
    position = {}
    for frame in frames:
        if frame.png not in position:
            position[frame.png] = len(unique)
            unique.append(base64.b64encode(frame.png).decode("ascii"))
        index.append(position[frame.png])
    labels = [[sliders[n].format(sliders[n].values[i]) for i in subset]
              for n, subset in zip(names, subsets)]
    start = [subset.index(sliders[n].default_index) for n, subset in zip(names, subsets)]
    flat = 0
    for j, subset in zip(start, subsets):
        flat = flat * len(subset) + j
    data = {"title": name, "names": [sliders[n].label for n in names], "labels": labels,
            "frames": unique, "index": index, "diverged": [int(f.status != "ok") for f in frames]}
    # ensure_ascii keeps the JSON plain ASCII; "</" is escaped so no string can end the script tag
    payload = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")

    root_id = f"nnfig-{name}"
    esc = html.escape
    alt = f"{name}: {_values_text(sliders, {n: sliders[n].default for n in names})}"
    lines = [
        f'<div class="nnbook-figure" id="{root_id}" data-nnbook-figure="{esc(name)}">',
        f'<img src="data:image/png;base64,{unique[index[flat]]}" alt="{esc(alt)}" '
        f'width="{size[0]}" height="{size[1]}" style="max-width:100%;height:auto">',
    ]
    for n, subset, j, label_list in zip(names, subsets, start, labels):
        input_id = f"{root_id}-{n}"
        lines.append(
            '<div class="nnbook-figure-control" style="display:flex;align-items:center;gap:0.6em">'
            f'<label for="{input_id}" style="min-width:8em">{esc(sliders[n].label)}</label>'
            f'<input type="range" id="{input_id}" min="0" max="{len(subset) - 1}" step="1" '
            f'value="{j}" aria-valuetext="{esc(label_list[j])}" style="flex:1;max-width:24em">'
            f'<output for="{input_id}">{esc(label_list[j])}</output></div>')
    # Shown where the viewer's script does not run (an untrusted notebook in Jupyter, a page
    # that strips scripts); the script hides it at once, so the web book never shows it.
    lines.append('<p class="nnbook-figure-note" style="margin:0.3em 0;font-size:0.9em;color:#555">'
                 "These are stored frames. Run this cell (Shift+Enter) for live sliders.</p>")
    lines.append(f'<script type="application/json" class="nnbook-figure-data">{payload}</script>')
    lines.append(viewer_script(root_id))
    lines.append("</div>")
    return "\n".join(lines)
