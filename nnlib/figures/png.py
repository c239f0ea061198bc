"""Frames as compact, byte-stable PNG files (a 256-colour palette, no timestamps)."""
import io

import numpy as np


def _png_bytes(fig):
    """Render `fig` as a compact, byte-stable PNG.

    The Agg pixels are reduced to a 256-colour palette (plots have few colours; this makes the
    file about 3 times smaller than matplotlib's own PNG) and saved without any timestamp or
    software tag, so the same figure always gives the same bytes.
    """
    from PIL import Image
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba()))
    white = Image.new("RGBA", image.size, "white")       # a transparent figure on white paper
    image = Image.alpha_composite(white, image).convert("RGB")
    # MAXCOVERAGE keeps white exactly white and every pixel within a few levels of the original
    palette = image.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG")
    return out.getvalue()
