"""Chapter 2's exercise checkers: right answers pass, typical wrong answers fail with the intended message."""
import numpy as np
import pytest

from nnlib.checks.ch02 import TRUTH_TABLES, check_gate, check_perceptron_layer, truth_table
from nnlib.functions import step_function


def report(capsys, checker, *args):
    checker(*args)
    return capsys.readouterr().out


# ------------------------------------------------------------------------------------------------
# check_perceptron_layer
# ------------------------------------------------------------------------------------------------

def layer(x, W, b):
    return step_function(x @ W.T + b)


def test_correct_layer_passes(capsys):
    out = report(capsys, check_perceptron_layer, layer)
    assert out.startswith("Checking perceptron_layer: 7 cases")
    assert out.count("✓") == 7 and "✗" not in out
    assert out.rstrip().endswith("All 7 checks passed.")


def test_layer_written_with_a_loop_over_neurons_passes(capsys):
    def loop_layer(x, W, b):
        columns = [step_function(x @ W[j] + b[j]) for j in range(W.shape[0])]
        return np.stack(columns, axis=-1)

    assert "All 7 checks passed." in report(capsys, check_perceptron_layer, loop_layer)


def test_untransposed_weights_are_named(capsys):
    out = report(capsys, check_perceptron_layer, lambda x, W, b: step_function(x @ W + b))
    assert "0 of 7 checks passed" in out
    # the square W gives wrong values, which the checker recognizes as x @ W
    assert "this is step(x @ W + b)" in out and "x @ W.T + b" in out
    # a W of shape (3, 2) cannot multiply: the error is reported with the hint, not raised
    assert "raised ValueError" in out
    assert "hint: W has one row per neuron, shape (M, D) = (3, 2)" in out
    assert "Traceback" not in out


def test_booleans_are_rejected_with_the_reason(capsys):
    out = report(capsys, check_perceptron_layer, lambda x, W, b: x @ W.T + b > 0)
    assert "0 of 7 checks passed" in out
    assert "returned booleans (True/False)" in out and "numbers 0 and 1" in out


def test_greater_or_equal_fails_only_on_the_line(capsys):
    out = report(capsys, check_perceptron_layer,
                 lambda x, W, b: (x @ W.T + b >= 0).astype((x @ W.T + b).dtype))
    assert "6 of 7 checks passed" in out
    assert "✗ an input exactly on the decision line (z = 0) gives 0" in out
    assert "this is 1 where z >= 0" in out


def test_silent_upcast_to_float64_fails_only_the_dtype_case(capsys):
    out = report(capsys, check_perceptron_layer, lambda x, W, b: np.where(x @ W.T + b > 0, 1.0, 0.0))
    assert "6 of 7 checks passed" in out
    assert "✗ float32 in, float32 out" in out
    assert "the dtype is float64, not float32" in out


def test_one_row_per_neuron_is_explained(capsys):
    def rows(x, W, b):
        z = W @ x.T + (b[:, None] if x.ndim == 2 else b)
        return step_function(z)

    out = report(capsys, check_perceptron_layer, rows)
    assert "expected shape (4, 2), got shape (2, 4)" in out
    assert "your result has one row per neuron" in out
    assert "one input x = (1, 0)" in out  # a single input has no rows to swap: that case passes
    assert "✓ one input x = (1, 0)" in out


def test_forgotten_return_and_stub(capsys):
    def no_return(x, W, b):
        step_function(x @ W.T + b)

    assert "did you forget `return`?" in report(capsys, check_perceptron_layer, no_return)

    def stub(x, W, b):
        raise NotImplementedError

    out = report(capsys, check_perceptron_layer, stub)
    assert "perceptron_layer is not written yet" in out
    assert "✓" not in out and "✗" not in out


# ------------------------------------------------------------------------------------------------
# check_gate
# ------------------------------------------------------------------------------------------------

def make_gate(w, b):
    w = np.asarray(w, dtype=np.float64)
    return lambda x: step_function(x @ w + b)


@pytest.mark.parametrize("gate, w, b", [
    ("AND", [0.5, 0.5], -0.7),      # Saitoh's weights
    ("NAND", [-0.5, -0.5], 0.7),
    ("OR", [0.5, 0.5], -0.2),
    ("NAND", [-2.0, -2.0], 3.0),    # Nielsen's NAND perceptron
    ("NOR", [-1.0, -1.0], 0.5),
    ("majority", [1.0, 1.0, 1.0], -1.5),
])
def test_right_weights_pass(capsys, gate, w, b):
    out = report(capsys, check_gate, make_gate(w, b), gate)
    n = len(TRUTH_TABLES[gate][1]) + 1
    assert f"All {n} checks passed." in out


def test_two_layer_xor_passes(capsys):
    nand, or_, and_ = make_gate([-0.5, -0.5], 0.7), make_gate([0.5, 0.5], -0.2), make_gate([0.5, 0.5], -0.7)

    def xor(x):
        return and_(np.stack([nand(x), or_(x)], axis=-1))

    assert "All 5 checks passed." in report(capsys, check_gate, xor, "XOR")


def test_wrong_weights_name_the_wrong_inputs(capsys):
    def nor(x):                       # AND's weights: wrong at 00 and at 11
        return step_function(x @ np.array([0.5, 0.5]) - 0.7)

    out = report(capsys, check_gate, nor, "NOR")
    assert out.startswith("Checking nor (NOR): 5 cases")
    assert "input (0, 0): expected 1, got 0" in out
    assert "input (1, 1): expected 0, got 1" in out
    assert "input (0, 1)" not in out.split("✗ the whole truth table")[1].split("✓")[0]
    assert "2 of 5 checks passed" in out


def test_no_single_perceptron_passes_xor(capsys):
    # every perceptron on a grid of weights fails at least one row of XOR's table
    grid = np.linspace(-2, 2, 9)
    for w1 in grid:
        for w2 in grid:
            for b in grid:
                check_gate(make_gate([w1, w2], b), "XOR")
                assert "All 5 checks passed." not in capsys.readouterr().out


def test_gate_with_booleans_or_a_column_fails(capsys):
    out = report(capsys, check_gate, lambda x: x.sum(axis=-1) >= 2, "majority")
    assert "0 of 9 checks passed" in out and "returned booleans" in out

    w = np.array([[-1.0], [-1.0]])
    out = report(capsys, check_gate, lambda x: step_function(x @ w + 0.5), "NOR")
    assert "expected shape (4,), one output per row of x, got shape (4, 1)" in out
    assert "return a flat array" in out


def test_gate_stub_and_unknown_gate(capsys):
    def nor(x):
        raise NotImplementedError

    assert "nor (NOR) is not written yet" in report(capsys, check_gate, nor, "NOR")
    with pytest.raises(ValueError, match="unknown gate 'XAND'.*AND, NAND, OR, NOR, XOR"):
        check_gate(nor, "XAND")


def test_truth_tables_are_right_and_copies():
    for name, (inputs, outputs) in TRUTH_TABLES.items():
        a = inputs.astype(int)
        expected = {
            "AND": a[:, 0] & a[:, 1], "NAND": 1 - (a[:, 0] & a[:, 1]), "OR": a[:, 0] | a[:, 1],
            "NOR": 1 - (a[:, 0] | a[:, 1]), "XOR": a[:, 0] ^ a[:, 1], "XNOR": 1 - (a[:, 0] ^ a[:, 1]),
            "majority": (a.sum(axis=1) >= 2).astype(int),
        }[name]
        np.testing.assert_array_equal(outputs, expected)
        assert len({tuple(r) for r in a}) == len(a) == 2 ** a.shape[1]   # every input once
    x, t = truth_table("AND")
    x[:] = 5
    t[:] = 5
    assert TRUTH_TABLES["AND"][0].max() == 1 and TRUTH_TABLES["AND"][1].max() == 1
    with pytest.raises(ValueError, match="unknown gate"):
        truth_table("and")
