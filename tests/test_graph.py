"""nnlib.graph: Saito's shopping examples (5.1-5.4) with the values and gradients the book prints."""
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
    # Saito prints dapple_num, dapple, dorange, dorange_num, dtax = 110 2.2 3.3 165 650
    expected = {"apple_num": 110, "apple": 2.2, "orange": 3.3, "orange_num": 165, "tax": 650}
    for name, value in expected.items():
        assert g.grad(name) == pytest.approx(value), name
    # the intermediate results the graph keeps (Saito 5.1.3)
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
    # Saito 5.5.2: x -> *(-1) -> exp -> +1 -> / ; the backward result is y (1 - y)
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
    # Saito 5.2: z = (x + y)^2, dz/dx = 2 (x + y)
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
