"""Export the shipped networks for the drawing pad of the web book, and say what float16 costs.

    python scripts/export_web_weights.py                 # writes _build/nnpad/ and prints the table
    python scripts/export_web_weights.py --out DIR --dtype float32

Writes ``digitpad.js`` and one weights file per network of ``nnlib.pad.NETWORKS`` (``mlp.js``,
``cnn.js``): the weights as little-endian float16 (default) or float32, base64-encoded inside a
``.js`` file that calls ``NNPad.weights(...)``, so that a page opened from ``file://`` can load it
with a ``<script>`` tag (browsers refuse ``fetch()`` of ``file://`` URLs). The book's build does the
same itself (``book/_ext/nnbook_site.py`` calls ``nnlib.pad.write_site_files``), so the site is
never stale; this script is for looking at the files and at the cost of float16:
for each network, the test accuracy over the 10,000 test images with the shipped float32 weights
and with the weights rounded to float16, the number of answers that change and the largest change
of a probability.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nnlib.data import load_mnist  # noqa: E402
from nnlib.functions import softmax  # noqa: E402
from nnlib.pad import NETWORKS, load_network, write_site_files  # noqa: E402


def probabilities(net, x, batch=1000):
    shape = (-1, 1, 28, 28) if net[0].W.data.ndim == 4 else (-1, 784)
    return np.concatenate([softmax(net.forward(x[i:i + batch].reshape(shape)).astype(np.float64))
                           for i in range(0, len(x), batch)])


def float16_cost(key, x, t):
    """(accuracy float32, accuracy float16, answers changed, largest probability change)."""
    p32 = probabilities(load_network(key), x)
    p16 = probabilities(load_network(key, round_to=np.float16), x)
    a32, a16 = p32.argmax(1), p16.argmax(1)
    return (np.mean(a32 == t), np.mean(a16 == t), int(np.count_nonzero(a32 != a16)),
            float(np.abs(p32 - p16).max()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "_build" / "nnpad"), help="folder to write (default _build/nnpad)")
    parser.add_argument("--dtype", default="float16", choices=["float16", "float32"])
    args = parser.parse_args(argv)
    sizes = write_site_files(args.out, dtype=args.dtype)
    for name, size in sizes.items():
        print(f"{Path(args.out) / name}: {size / 1e3:.0f} kB")
    (_, _), (_, _), (x_test, t_test) = load_mnist()
    print("\nfloat16 weights against the shipped float32 ones, 10,000 test images:")
    for key in NETWORKS:
        a32, a16, changed, dp = float16_cost(key, x_test, t_test)
        print(f"  {key}: accuracy {100 * a32:.2f} % -> {100 * a16:.2f} %, {changed} answers change, "
              f"largest probability change {dp:.1e}")


if __name__ == "__main__":
    main()
