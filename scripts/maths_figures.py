"""Draw the five pictures of book/maths.md ("The maths you need") into book/images/maths-*.png.

    .venv/bin/python scripts/maths_figures.py

The pictures are drawn at 2x (200 dpi for a 100-dpi page), so they stay sharp on high-density
screens; maths.md shows them at half their pixel width. Re-run after changing this file and commit
the PNGs (the book build does not run it).
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "book" / "images"
DPI = 200


def save(fig, name):
    fig.savefig(OUT / f"maths-{name}.png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)


def derivative():
    f, df = lambda x: 0.5 * x ** 2, lambda x: x
    x = np.linspace(-0.5, 3, 200)
    x0, h = 1.5, 0.8
    fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    ax.plot(x, f(x), color="C0", label="$f(x) = x^2/2$")
    ax.plot(x, f(x0) + df(x0) * (x - x0), "--", color="C3",
            label=f"tangent at $x = {x0}$: slope $f'(x) = {df(x0)}$")
    ax.plot([x0, x0 + h], [f(x0)] * 2, color="0.3")
    ax.plot([x0 + h] * 2, [f(x0), f(x0) + df(x0) * h], color="0.3")
    ax.text(x0 + h / 2, f(x0) - 0.25, "$h$", ha="center")
    ax.text(x0 + h + 0.05, f(x0) + df(x0) * h / 2, "$f'(x)\\,h$", va="center")
    ax.plot([x0], [f(x0)], "o", color="C3")
    ax.set(xlabel="$x$", ylabel="$f(x)$", ylim=(-0.5, 4.5))
    ax.legend(loc="upper left", fontsize=9)
    save(fig, "derivative")


def partial():
    f = lambda x, y: x ** 2 / 4 + y ** 2        # noqa: E731
    g = np.linspace(-2, 2, 201)
    X, Y = np.meshgrid(g, g)
    x0, y0 = 1.0, 0.6
    fig, ax = plt.subplots(figsize=(4.2, 3.6), layout="constrained")
    contours = ax.contour(X, Y, f(X, Y), levels=[0.1, 0.3, 0.6, 1, 1.5, 2], colors="0.6",
                          linewidths=0.8)
    ax.clabel(contours, fontsize=7)
    ax.annotate("", xy=(x0 + x0 / 2, y0), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="-|>", color="C3", lw=1.8))
    ax.annotate("", xy=(x0, y0 + 2 * y0), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="-|>", color="C0", lw=1.8))
    ax.text(x0 + 0.55, y0 - 0.25, "$\\partial f/\\partial x = x/2$", color="C3", fontsize=9)
    ax.text(x0 - 0.15, y0 + 1.25, "$\\partial f/\\partial y = 2y$", color="C0", fontsize=9,
            ha="right")
    ax.plot([x0], [y0], "o", color="black")
    ax.set(xlabel="$x$", ylabel="$y$", aspect="equal",
           title="$f(x, y) = x^2/4 + y^2$: contour lines", )
    ax.title.set_fontsize(10)
    save(fig, "partial")


def chain_rule():
    fig, ax = plt.subplots(figsize=(6, 1.9), layout="constrained")
    boxes = [(0.5, "$x$"), (2.5, "$u = g(x)$"), (4.7, "$y = f(u)$")]
    for x, text in boxes:
        ax.text(x, 0.5, text, ha="center", va="center", fontsize=12,
                bbox=dict(boxstyle="round,pad=0.4", fc="#fbe3cc", ec="black"))
    for (x0, _), (x1, _), label in [(boxes[0], boxes[1], "$\\times\\, g'(x)$"),
                                     (boxes[1], boxes[2], "$\\times\\, f'(u)$")]:
        ax.annotate("", xy=(x1 - 0.75, 0.5), xytext=(x0 + 0.45, 0.5),
                    arrowprops=dict(arrowstyle="-|>", lw=1.3))
        ax.text((x0 + x1) / 2 - 0.1, 0.72, label, ha="center", fontsize=11, color="C3")
    ax.text(2.6, 0.0, "a small change $\\Delta x$ becomes $\\Delta u \\approx g'(x)\\,\\Delta x$, "
            "then $\\Delta y \\approx f'(u)\\,g'(x)\\,\\Delta x$", ha="center", fontsize=9)
    ax.set(xlim=(-0.2, 5.6), ylim=(-0.2, 1.0))
    ax.axis("off")
    save(fig, "chain-rule")


def norm():
    v = np.array([3.0, 4.0])
    fig, ax = plt.subplots(figsize=(3.6, 3.4), layout="constrained")
    ax.annotate("", xy=v, xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color="C0", lw=2))
    ax.plot([0, v[0], v[0]], [0, 0, v[1]], ":", color="0.4")
    ax.text(v[0] / 2, -0.45, "$v_1 = 3$", ha="center")
    ax.text(v[0] + 0.15, v[1] / 2, "$v_2 = 4$", va="center")
    ax.text(1.0, 2.3, "$\\Vert v \\Vert = \\sqrt{3^2 + 4^2} = 5$", color="C0", rotation=53,
            ha="center", va="center")
    ax.set(xlim=(-0.5, 5), ylim=(-0.8, 4.7), aspect="equal", xlabel="first entry",
           ylabel="second entry")
    save(fig, "norm")


def matrix_product():
    A, B = np.arange(1, 7).reshape(2, 3), np.arange(1, 7).reshape(3, 2)
    C = A @ B
    fig, ax = plt.subplots(figsize=(6, 2.4), layout="constrained")

    def grid(M, x0, y0, name, row=None, col=None):
        rows, cols = M.shape
        for i in range(rows):
            for j in range(cols):
                on = (row is not None and i == row) or (col is not None and j == col)
                ax.add_patch(plt.Rectangle((x0 + j, y0 - i), 1, 1, fc="#fbe3cc" if on else "white",
                                           ec="black"))
                ax.text(x0 + j + 0.5, y0 - i + 0.5, str(M[i, j]), ha="center", va="center")
        ax.text(x0 + cols / 2, y0 + 1.3, name, ha="center", fontsize=10)

    grid(A, 0, 1, "$A$: (2, 3)", row=1)
    ax.text(3.5, 0.5, "@", ha="center", va="center", fontsize=14)
    grid(B, 4, 1.5, "$B$: (3, 2)", col=0)
    ax.text(6.6, 0.5, "=", ha="center", va="center", fontsize=14)
    grid(C, 7.2, 1, "$AB$: (2, 2)")
    ax.add_patch(plt.Rectangle((7.2, 0), 1, 1, fc="none", ec="C3", lw=2.5))
    ax.text(4.6, -1.7, "row 2 of $A$ · column 1 of $B$ = 4·1 + 5·3 + 6·5 = 49", ha="center",
            fontsize=9, color="C3")
    ax.set(xlim=(-0.3, 9.5), ylim=(-2.1, 3.0), aspect="equal")
    ax.axis("off")
    save(fig, "matrix-product")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for draw in (derivative, partial, chain_rule, norm, matrix_product):
        draw()
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("maths-*.png"))))
