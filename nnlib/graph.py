"""Scalar computational graphs (Saitoh chapter 5): nodes that compute forward and pass gradients back.

Two levels:

* node classes (:class:`MulNode`, :class:`AddNode`, and the one-input :class:`ExpNode`,
  :class:`ReciprocalNode`, :class:`SquareNode`) with ``forward(...)`` and ``backward(dout)``, used
  by hand as Saitoh's ``MulLayer`` and ``AddLayer``. Each node records its inputs, its output, the
  upstream gradient it received and the gradients it passed back, so a chapter can print or draw them;
* :class:`Graph`, which wires named inputs and nodes together, runs forward and backward over all of
  them, and lists nodes and edges with their values.

Saitoh's shopping example::

    g = Graph()
    g.input("apple", 100); g.input("apple_num", 2)
    g.input("orange", 150); g.input("orange_num", 3); g.input("tax", 1.1)
    g.mul("apple", "apple_num", name="apple_price")
    g.mul("orange", "orange_num", name="orange_price")
    g.add("apple_price", "orange_price", name="all_price")
    g.mul("all_price", "tax", name="price")
    g.forward()    # 715.0000000000001 (715 yen, up to float rounding)
    g.backward()   # {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650, ...}
    draw_graph(g)  # the drawing: forward values above the arrows, gradients below

:func:`draw_graph` needs matplotlib (imported only when it is called); everything else is plain Python.
"""
import math


class Node:
    """Base class: ``op`` is the symbol drawn in the node's circle."""

    op = "?"

    def __init__(self, name=""):
        self.name = name
        self.inputs = None   # the forward inputs, a tuple
        self.out = None      # the forward output
        self.dout = None     # the gradient received from downstream
        self.grads = None    # the gradients passed back, one per input

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, inputs={self.inputs}, out={self.out}, grads={self.grads})"


class MulNode(Node):
    """z = x * y. Backward multiplies dout by the *other* input: dx = dout * y, dy = dout * x."""

    op = "×"

    def forward(self, x, y):
        self.inputs = (x, y)
        self.out = x * y
        return self.out

    def backward(self, dout=1.0):
        x, y = self.inputs
        self.dout = dout
        self.grads = (dout * y, dout * x)
        return self.grads


class AddNode(Node):
    """z = x + y. Backward passes dout unchanged to both inputs."""

    op = "+"

    def forward(self, x, y):
        self.inputs = (x, y)
        self.out = x + y
        return self.out

    def backward(self, dout=1.0):
        self.dout = dout
        self.grads = (dout, dout)
        return self.grads


class ExpNode(Node):
    """z = exp(x); dz/dx = exp(x) = z, so backward returns dout * z."""

    op = "exp"

    def forward(self, x):
        self.inputs = (x,)
        self.out = math.exp(x)
        return self.out

    def backward(self, dout=1.0):
        self.dout = dout
        self.grads = (dout * self.out,)
        return self.grads


class ReciprocalNode(Node):
    """z = 1 / x (Saitoh's "/" node); dz/dx = -1/x**2 = -z**2."""

    op = "/"

    def forward(self, x):
        self.inputs = (x,)
        self.out = 1.0 / x
        return self.out

    def backward(self, dout=1.0):
        self.dout = dout
        self.grads = (-dout * self.out * self.out,)
        return self.grads


class LogNode(Node):
    """z = log(x) (natural logarithm, Saitoh's appendix A); dz/dx = 1/x."""

    op = "log"

    def forward(self, x):
        self.inputs = (x,)
        self.out = math.log(x)
        return self.out

    def backward(self, dout=1.0):
        self.dout = dout
        self.grads = (dout / self.inputs[0],)
        return self.grads


class SquareNode(Node):
    """z = x**2 (Saitoh's "**2" node of the chain-rule example); dz/dx = 2x."""

    op = "**2"

    def forward(self, x):
        self.inputs = (x,)
        self.out = x * x
        return self.out

    def backward(self, dout=1.0):
        self.dout = dout
        self.grads = (dout * 2 * self.inputs[0],)
        return self.grads


class Graph:
    """A graph of named inputs and nodes, evaluated in the order they were added.

    Every input and node has a name; a node's operands are names of earlier inputs or nodes, or
    plain numbers (which become constant inputs named after their value, e.g. ``"-1"``).
    """

    def __init__(self):
        self.values = {}    # name -> forward value of an input or of a node's output
        self.kinds = {}     # name -> "input", "const" or "op"
        self.nodes = {}     # name -> Node
        self.operands = {}  # name -> tuple of operand names
        self.grads = {}     # name -> dL/d(value), after backward()

    def input(self, name, value):
        """Add (or later, change) an input value; returns its name."""
        if name in self.nodes:
            raise ValueError(f"{name!r} is a node; only inputs can be set")
        self.values[name] = value
        self.kinds.setdefault(name, "input")
        return name

    def _operand(self, a):
        if isinstance(a, str):
            if a not in self.values:
                raise ValueError(f"unknown operand {a!r}; known names: {list(self.values)}")
            return a
        name = f"{a:g}"
        self.values[name], self.kinds[name] = a, "const"
        return name

    def _add_node(self, node, operands, name):
        name = name or f"{type(node).__name__.removesuffix('Node').lower()}{len(self.nodes) + 1}"
        if name in self.values:
            raise ValueError(f"the name {name!r} is already used")
        node.name = name
        self.operands[name] = tuple(self._operand(a) for a in operands)
        self.nodes[name] = node
        self.kinds[name] = "op"
        self.values[name] = node.forward(*(self.values[a] for a in self.operands[name]))
        return name

    def mul(self, a, b, name=None):
        """Add a × node; returns its name."""
        return self._add_node(MulNode(), (a, b), name)

    def add(self, a, b, name=None):
        """Add a + node; returns its name."""
        return self._add_node(AddNode(), (a, b), name)

    def exp(self, a, name=None):
        return self._add_node(ExpNode(), (a,), name)

    def reciprocal(self, a, name=None):
        return self._add_node(ReciprocalNode(), (a,), name)

    def square(self, a, name=None):
        return self._add_node(SquareNode(), (a,), name)

    def log(self, a, name=None):
        return self._add_node(LogNode(), (a,), name)

    def apply(self, node, *operands, name=None):
        """Add a node of your own: any object with ``op``, ``forward(*values)`` and ``backward(dout)``
        (returning one gradient per operand), e.g. a subclass of :class:`Node`; returns its name."""
        for method in ("forward", "backward"):
            if not callable(getattr(node, method, None)):
                raise ValueError(f"a node needs forward() and backward() methods, got {node!r}")
        if not operands:
            raise ValueError("apply needs at least one operand (a name or a number)")
        return self._add_node(node, operands, name)

    @property
    def output(self):
        """Name of the last node added: the quantity that ``backward`` differentiates."""
        if not self.nodes:
            raise ValueError("the graph has no nodes yet")
        return list(self.nodes)[-1]

    def forward(self):
        """Recompute every node from the current inputs; return the output's value.

        Gradients from an earlier backward() are cleared, since they belonged to the old values."""
        self.grads = {}
        for name, node in self.nodes.items():
            node.dout = node.grads = None
            self.values[name] = node.forward(*(self.values[a] for a in self.operands[name]))
        return self.values[self.output]

    def backward(self, dout=1.0):
        """Send dout = dL/d(output) back through every node; return {name: gradient} for all names.

        A value used by several nodes receives the sum of their gradients (the multivariate chain rule).
        """
        self.grads = {name: 0.0 for name in self.values}
        self.grads[self.output] = dout
        for name in reversed(list(self.nodes)):
            for operand, g in zip(self.operands[name], self.nodes[name].backward(self.grads[name])):
                self.grads[operand] += g
        return dict(self.grads)

    def value(self, name):
        return self.values[name]

    def numerical_gradient(self, name, h=1e-6):
        """d(output)/d(input ``name``) by a central difference, (f(v + h) - f(v - h)) / (2h).

        Moves the input by +h and -h, recomputes the graph each time and puts the value back. The
        graph is left recomputed at the original value, and if backward() had been run, it is run
        again with the same initial dout, so the gradients stay in place for drawing."""
        if self.kinds.get(name) not in ("input", "const"):
            raise ValueError(f"{name!r} is not an input of the graph; inputs: "
                             f"{[n for n, k in self.kinds.items() if k == 'input']}")
        dout = self.grads.get(self.output) if self.grads else None
        original = self.values[name]
        try:
            self.values[name] = original + h
            f_plus = self.forward()
            self.values[name] = original - h
            f_minus = self.forward()
        finally:
            self.values[name] = original
            self.forward()
            if dout is not None:
                self.backward(dout)
        return (f_plus - f_minus) / (2 * h)

    def grad(self, name):
        """dL/d(name) from the last backward() (raises KeyError before any backward)."""
        return self.grads[name]

    def node_list(self):
        """One dict per input, constant and node, in order: name, kind, op, value, grad (None before
        backward). Draw inputs as labels and ops as circles holding ``op``."""
        return [{"name": name, "kind": self.kinds[name],
                 "op": self.nodes[name].op if name in self.nodes else None,
                 "value": self.values[name], "grad": self.grads.get(name)}
                for name in self.values]

    def edges(self):
        """One dict per arrow: source, target, value (flowing forward) and grad (flowing back).

        ``grad`` is what the target node passed back along this edge (None before backward). The
        output gets a last edge with target None, carrying its value and the initial dout.
        """
        result = []
        for name, node in self.nodes.items():
            for k, operand in enumerate(self.operands[name]):
                result.append({"source": operand, "target": name, "value": self.values[operand],
                               "grad": node.grads[k] if node.grads is not None else None})
        out = self.output
        result.append({"source": out, "target": None, "value": self.values[out],
                       "grad": self.nodes[out].dout})
        return result


# ------------------------------------------------------------------------------------------------
# Drawing
# ------------------------------------------------------------------------------------------------

def layout(graph, dx=1.8, dy=1.2):
    """Positions ``{name: (x, y)}`` for drawing ``graph`` from left to right.

    A node's column is one more than the largest column of its operands; an input or constant sits
    one column before the first node that uses it. Rows come from a depth-first walk back from the
    output: inputs take the next free row in the order they are met, and a node sits halfway between
    its operands (as in a drawing of a tree); names in the same column are kept at least a row apart.
    """
    if not graph.nodes:
        raise ValueError("the graph has no nodes yet")
    column, consumers = {}, {name: [] for name in graph.values}
    for name in graph.values:
        if graph.kinds[name] != "op":
            column[name] = 0
    for name in graph.nodes:
        column[name] = 1 + max(column[a] for a in graph.operands[name])
        for a in graph.operands[name]:
            consumers[a].append(name)
    for name in graph.values:
        if graph.kinds[name] != "op" and consumers[name]:
            column[name] = min(column[c] for c in consumers[name]) - 1
    row, free = {}, [0]

    def visit(name):
        if name not in row:
            if graph.kinds[name] != "op":
                row[name] = free[0]
                free[0] += 1
            else:
                rows = [visit(a) for a in graph.operands[name]]
                row[name] = sum(rows) / len(rows)
        return row[name]

    for name in reversed(list(graph.values)):   # the output first, then anything left over
        visit(name)
    # Column by column from the left: a node moves halfway between its operands' (final) rows, and
    # names that share a column are pushed apart to at least one row.
    for c in sorted(set(column.values())):
        names = [n for n in graph.values if column[n] == c]
        for name in names:
            if graph.kinds[name] == "op":
                rows = [row[a] for a in graph.operands[name]]
                row[name] = sum(rows) / len(rows)
        names.sort(key=lambda n: row[n])
        for above, below in zip(names, names[1:]):
            row[below] = max(row[below], row[above] + 1)
    return {name: (dx * column[name], -dy * row[name]) for name in graph.values}


def _format(value, fmt):
    if value is None:
        return ""
    if isinstance(value, (int, float)) and value == 0:
        value = 0 * value + 0.0 if isinstance(value, float) else value   # -0.0 is drawn as 0
    if callable(fmt):
        return fmt(value)
    return fmt.format(value)


def draw_graph(graph, ax=None, *, pos=None, fmt="{:.4g}", grads="show", output_label=None,
               legend=True, radius=0.32, fontsize=10):
    """Draw ``graph`` with matplotlib: inputs as dots with their names, nodes as circles holding their
    operation, an arrow per edge with the forward value above it (black) and the gradient below it
    (red), and a last arrow out of the output carrying its value and the initial dout.

    ``ax``: the axes to draw on (a new figure if None); ``pos``: ``{name: (x, y)}`` for some or all
    names (the others come from :func:`layout`); ``fmt``: a format string such as ``"{:.4g}"`` or a
    function, for every number; ``grads``: ``"show"``, ``"boxes"`` (an empty red box for every
    gradient, Saitoh's fill-in exercise) or ``"hide"``; ``output_label``: text at the end of the last
    arrow (default: the output's name). Call ``graph.forward()`` (and ``graph.backward()`` for the
    gradients) first. Returns the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    if grads not in ("show", "boxes", "hide"):
        raise ValueError(f"grads must be 'show', 'boxes' or 'hide', got {grads!r}")
    auto = layout(graph)
    pos = {**auto, **(pos or {})}
    unknown = set(pos) - set(graph.values)
    if unknown:
        raise ValueError(f"pos names {sorted(unknown)} that are not in the graph; names: {list(graph.values)}")
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    out = graph.output
    ox, oy = pos[out]
    end = (ox + 1.6, oy)
    xlim = (min(xs) - 1.4, end[0] + 1.0)
    ylim = (min(ys) - (0.8 if legend else 0.5), max(ys) + 0.5)
    if ax is None:
        scale = min(0.75, 11 / (xlim[1] - xlim[0]))   # inches per unit, at most 11 inches wide
        fig, ax = plt.subplots(figsize=(scale * (xlim[1] - xlim[0]), scale * (ylim[1] - ylim[0])))
        fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.set_aspect("equal")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")

    def radius_of(name):
        return radius if graph.kinds[name] == "op" else 0.05

    def label_edge(p, q, value, grad):
        mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
        ax.annotate(_format(value, fmt), (mx, my), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=fontsize, color="black")
        if grads == "show" and grad is not None:
            ax.annotate(_format(grad, fmt), (mx, my), xytext=(0, -3), textcoords="offset points",
                        ha="center", va="top", fontsize=fontsize, color="tab:red")
        elif grads == "boxes":
            ax.annotate("      ", (mx, my), xytext=(0, -4), textcoords="offset points",
                        ha="center", va="top", fontsize=fontsize,
                        bbox={"boxstyle": "square,pad=0.2", "facecolor": "white", "edgecolor": "tab:red"})

    def arrow(p, q, r_p, r_q):
        ddx, ddy = q[0] - p[0], q[1] - p[1]
        length = math.hypot(ddx, ddy) or 1.0
        ux, uy = ddx / length, ddy / length
        start = (p[0] + r_p * ux, p[1] + r_p * uy)
        stop = (q[0] - r_q * ux, q[1] - r_q * uy)
        ax.annotate("", xy=stop, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": "0.25", "linewidth": 1.2,
                                "shrinkA": 0, "shrinkB": 0, "mutation_scale": 12})
        return start, stop

    for edge in graph.edges():
        source, target = edge["source"], edge["target"]
        if target is None:
            start, stop = arrow(pos[source], end, radius_of(source), 0.0)
            ax.text(end[0] + 0.08, end[1], output_label or source, ha="left", va="center",
                    fontsize=fontsize)
        else:
            start, stop = arrow(pos[source], pos[target], radius_of(source), radius_of(target))
        label_edge(start, stop, edge["value"], edge["grad"])
    for name in graph.values:
        x, y = pos[name]
        if graph.kinds[name] == "op":
            ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor="black", linewidth=1.3,
                                zorder=3))
            op = graph.nodes[name].op
            ax.text(x, y, op, ha="center", va="center", zorder=4,
                    fontsize=fontsize + (2 if len(op) == 1 else -1))
        else:
            ax.plot([x], [y], marker="o", markersize=3, color="black")
            ax.text(x - 0.1, y, name, ha="right", va="center", fontsize=fontsize)
    if legend:
        lines = "forward values above the arrows"
        if grads == "show":
            lines += ", gradients of the output below (red)"
        elif grads == "boxes":
            lines += "; fill in the gradients (red boxes)"
        ax.text(xlim[0] + 0.05, ylim[0] + 0.05, lines, ha="left", va="bottom", fontsize=fontsize - 2,
                color="0.35")
    return ax
