"""nnlib.graph: Saitoh's shopping examples (5.1-5.4) with the values and gradients the book prints."""
import math

import pytest

from nnlib.graph import AddNode, Graph, MulNode


def apple_graph():
    g = Graph()
    g.input("apple", 100)
    g.input("apple_num", 2)
    g.input("tax", 1.1)
    g.mul("apple", "apple_num", name="apple_price")
    g.mul("apple_price", "tax", name="price")
    return g


def shopping_graph():
    g = Graph()
    g.input("apple", 100)
    g.input("apple_num", 2)
    g.input("orange", 150)
    g.input("orange_num", 3)
    g.input("tax", 1.1)
    g.mul("apple", "apple_num", name="apple_price")
    g.mul("orange", "orange_num", name="orange_price")
    g.add("apple_price", "orange_price", name="all_price")
    g.mul("all_price", "tax", name="price")
    return g


def test_apple_example_220_yen_and_its_gradients():
    g = apple_graph()
    assert g.forward() == pytest.approx(220)
    grads = g.backward()
    assert grads["apple"] == pytest.approx(2.2)        # a 1-yen dearer apple costs 2.2 yen more
    assert grads["apple_num"] == pytest.approx(110)
    assert grads["tax"] == pytest.approx(200)
    assert g.grad("apple_price") == pytest.approx(1.1)


def test_shopping_example_715_yen_and_its_gradients():
    g = shopping_graph()
    assert g.forward() == pytest.approx(715)
    g.backward()
    # Saitoh prints dapple_num, dapple, dorange, dorange_num, dtax = 110 2.2 3.3 165 650
    expected = {"apple_num": 110, "apple": 2.2, "orange": 3.3, "orange_num": 165, "tax": 650}
    for name, value in expected.items():
        assert g.grad(name) == pytest.approx(value), name
    # the intermediate results the graph keeps (Saitoh 5.1.3)
    assert [g.value(n) for n in ("apple_price", "orange_price", "all_price")] == pytest.approx([200, 450, 650])
    assert [g.grad(n) for n in ("apple_price", "orange_price", "all_price", "price")] == pytest.approx(
        [1.1, 1.1, 1.1, 1.0])


def test_nodes_record_what_they_passed_and_edges_carry_values():
    g = shopping_graph()
    g.forward()
    g.backward()
    mul = g.nodes["apple_price"]
    assert mul.inputs == (100, 2) and mul.out == 200
    assert mul.dout == pytest.approx(1.1) and mul.grads == pytest.approx((2.2, 110))
    edges = g.edges()
    assert len(edges) == 4 * 2 + 1           # two operands per node, plus the output arrow
    by_pair = {(e["source"], e["target"]): e for e in edges}
    assert by_pair[("orange_num", "orange_price")]["value"] == 3
    assert by_pair[("orange_num", "orange_price")]["grad"] == pytest.approx(165)
    assert by_pair[("all_price", "price")]["value"] == 650
    assert by_pair[("all_price", "price")]["grad"] == pytest.approx(1.1)
    assert by_pair[("price", None)]["grad"] == 1.0
    nodes = {n["name"]: n for n in g.node_list()}
    assert nodes["tax"]["kind"] == "input" and nodes["tax"]["grad"] == pytest.approx(650)
    assert nodes["all_price"]["op"] == "+" and nodes["price"]["op"] == "×"


def test_changing_an_input_and_recomputing():
    g = shopping_graph()
    g.forward()
    g.backward()
    g.input("apple", 150)
    assert g.forward() == pytest.approx((150 * 2 + 450) * 1.1)
    assert g.edges()[0]["grad"] is None          # old gradients are cleared by a new forward
    assert g.backward()["apple_num"] == pytest.approx(165)


def test_standalone_nodes_saito_figures_5_11_and_5_13():
    add = AddNode()
    assert add.forward(10, 5) == 15
    assert add.backward(1.3) == (1.3, 1.3)
    mul = MulNode()
    assert mul.forward(10, 5) == 50
    assert mul.backward(1.3) == pytest.approx((6.5, 13))
    # buy_apple.py with the nodes used by hand
    mul_apple, mul_tax = MulNode(), MulNode()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert (price, dapple, dapple_num, dtax) == pytest.approx((220, 2.2, 110, 200))


def test_sigmoid_graph_gives_y_times_one_minus_y():
    # Saitoh 5.5.2: x -> *(-1) -> exp -> +1 -> / ; the backward result is y (1 - y)
    x = 0.7
    g = Graph()
    g.input("x", x)
    g.mul("x", -1, name="neg")
    g.exp("neg", name="exp")
    g.add("exp", 1, name="denominator")
    g.reciprocal("denominator", name="y")
    y = g.forward()
    assert y == pytest.approx(1 / (1 + math.exp(-x)))
    assert g.backward()["x"] == pytest.approx(y * (1 - y))
    assert {n["name"]: n["kind"] for n in g.node_list()}["-1"] == "const"


def test_chain_rule_square_node_and_fan_out():
    # Saitoh 5.2: z = (x + y)^2, dz/dx = 2 (x + y)
    g = Graph()
    g.input("x", 3.0)
    g.input("y", 4.0)
    g.add("x", "y", name="t")
    g.square("t", name="z")
    assert g.forward() == 49.0
    assert g.backward()["x"] == 14.0
    # a value used twice receives the sum of both gradients: d(x * x)/dx = 2x
    h = Graph()
    h.input("x", 5.0)
    h.mul("x", "x")
    h.forward()
    assert h.backward()["x"] == 10.0


def test_graph_errors():
    g = Graph()
    g.input("a", 1.0)
    with pytest.raises(ValueError, match="unknown operand 'b'"):
        g.mul("a", "b")
    g.mul("a", 2.0, name="c")
    with pytest.raises(ValueError, match="already used"):
        g.add("a", "a", name="c")
    with pytest.raises(ValueError, match="only inputs"):
        g.input("c", 3.0)
    with pytest.raises(ValueError, match="no nodes"):
        Graph().forward()


def test_log_node_apply_and_numerical_gradient():
    from nnlib.graph import LogNode, Node

    g = Graph()
    g.input("x", 2.0)
    g.log("x", name="l")
    g.mul("l", "x", name="f")             # f = x log x, f' = log x + 1
    g.forward()
    assert g.backward()["x"] == pytest.approx(math.log(2.0) + 1)
    assert g.numerical_gradient("x") == pytest.approx(math.log(2.0) + 1, rel=1e-8)
    assert g.value("x") == 2.0 and g.value("f") == pytest.approx(2 * math.log(2.0))
    assert g.grad("x") == pytest.approx(math.log(2.0) + 1)     # the gradients are still there
    g.backward(3.0)
    g.numerical_gradient("x")
    assert g.grad("x") == pytest.approx(3 * (math.log(2.0) + 1))  # with the same initial dout
    g.forward()
    g.numerical_gradient("x")
    assert g.grads == {}                                       # no backward before: none after
    assert LogNode().backward is not None

    class Cube(Node):
        op = "**3"

        def forward(self, x):
            self.inputs = (x,)
            self.out = x ** 3
            return self.out

        def backward(self, dout=1.0):
            self.dout = dout
            self.grads = (dout * 3 * self.inputs[0] ** 2,)
            return self.grads

    h = Graph()
    h.input("x", 1.5)
    h.apply(Cube(), "x", name="c")
    h.forward()
    assert h.backward()["x"] == pytest.approx(3 * 1.5 ** 2)
    assert h.numerical_gradient("x") == pytest.approx(3 * 1.5 ** 2, rel=1e-8)
    with pytest.raises(ValueError, match="forward"):
        h.apply(object(), "x")
    with pytest.raises(ValueError, match="at least one operand"):
        h.apply(Cube())
    with pytest.raises(ValueError, match="not an input"):
        h.numerical_gradient("c")


def test_layout_puts_inputs_before_their_node_and_nodes_between_operands():
    from nnlib.graph import layout

    g = shopping_graph()
    pos = layout(g, dx=1.0, dy=1.0)
    assert pos["apple"][0] == pos["orange_num"][0] == 0
    assert pos["apple_price"][0] == pos["orange_price"][0] == 1
    assert pos["all_price"][0] == 2 and pos["price"][0] == 3
    assert pos["tax"][0] == 2                   # right before the node that uses it
    assert pos["apple"][1] > pos["apple_num"][1] > pos["orange"][1] > pos["orange_num"][1] > pos["tax"][1]
    assert pos["apple_price"][1] == pytest.approx((pos["apple"][1] + pos["apple_num"][1]) / 2)
    with pytest.raises(ValueError, match="no nodes"):
        layout(Graph())


def test_draw_graph_writes_every_value_and_gradient_on_the_drawing():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.graph import draw_graph

    g = shopping_graph()
    g.forward()
    g.backward()
    ax = draw_graph(g)
    texts = [t.get_text() for t in ax.texts]
    for shown in ["100", "2", "150", "3", "1.1", "200", "450", "650", "715",        # forward
                  "2.2", "110", "3.3", "165", "650", "1"]:                            # backward
        assert shown in texts, shown
    assert texts.count("×") == 3 and texts.count("+") == 1 and "price" in texts
    red = [t.get_text() for t in ax.texts if t.get_color() == "tab:red"]
    assert sorted(red) == sorted(["2.2", "110", "3.3", "165", "1.1", "1.1", "1.1", "650", "1"])
    plt.close(ax.figure)

    fig, ax = plt.subplots()
    draw_graph(g, ax, grads="boxes", pos={"tax": (3.0, -5.0)}, fmt=lambda v: f"{v:.1f}")
    texts = [t.get_text() for t in ax.texts]
    assert "715.0" in texts and "2.2" not in texts and "650.0" in texts
    with pytest.raises(ValueError, match="grads must be"):
        draw_graph(g, ax, grads="maybe")
    with pytest.raises(ValueError, match="not in the graph"):
        draw_graph(g, ax, pos={"banana": (0, 0)})
    plt.close(fig)

    g.forward()                                   # before backward: no gradients to draw
    fig, ax = plt.subplots()
    draw_graph(g, ax)
    assert not [t for t in ax.texts if t.get_color() == "tab:red"]
    plt.close(fig)


def test_layout_keeps_nodes_of_one_column_apart():
    from nnlib.graph import layout

    g = Graph()
    g.input("x", 0.5)
    g.input("y", -2.0)
    g.mul("x", "y", name="xy")
    g.exp("x", name="exp x")          # x feeds two nodes of the same column
    g.add("xy", "exp x", name="u")
    pos = layout(g, dx=1.0, dy=1.0)
    assert pos["xy"][0] == pos["exp x"][0] == 1
    assert abs(pos["xy"][1] - pos["exp x"][1]) >= 1
    assert pos["u"][1] == pytest.approx((pos["xy"][1] + pos["exp x"][1]) / 2)
