"""Scalar computational graphs (Saito chapter 5): nodes that compute forward and pass gradients back.

Two levels:

* node classes (:class:`MulNode`, :class:`AddNode`, and the one-input :class:`ExpNode`,
  :class:`ReciprocalNode`, :class:`SquareNode`) with ``forward(...)`` and ``backward(dout)``, used
  by hand as Saito's ``MulLayer`` and ``AddLayer``. Each node records its inputs, its output, the
  upstream gradient it received and the gradients it passed back, so a chapter can print or draw them;
* :class:`Graph`, which wires named inputs and nodes together, runs forward and backward over all of
  them, and lists nodes and edges with their values.

Saito's shopping example::

    g = Graph()
    g.input("apple", 100); g.input("apple_num", 2)
    g.input("orange", 150); g.input("orange_num", 3); g.input("tax", 1.1)
    g.mul("apple", "apple_num", name="apple_price")
    g.mul("orange", "orange_num", name="orange_price")
    g.add("apple_price", "orange_price", name="all_price")
    g.mul("all_price", "tax", name="price")
    g.forward()    # 715.0000000000001 (715 yen, up to float rounding)
    g.backward()   # {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650, ...}
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
    """z = 1 / x (Saito's "/" node); dz/dx = -1/x**2 = -z**2."""

    op = "/"

    def forward(self, x):
        self.inputs = (x,)
        self.out = 1.0 / x
        return self.out

    def backward(self, dout=1.0):
        self.dout = dout
        self.grads = (-dout * self.out * self.out,)
        return self.grads


class SquareNode(Node):
    """z = x**2 (Saito's "**2" node of the chain-rule example); dz/dx = 2x."""

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
