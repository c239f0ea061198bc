"""Tests of nnlib.ensemble: averaged probabilities and answers that do not depend on the BLAS kernel."""
import numpy as np
import pytest

from nnlib.ensemble import average_probabilities, load_members, stable_predictions
from nnlib.functions import softmax
from nnlib.layers import Affine, ReLU, Sequential
from nnlib.models import save_weights


def build(rng, dtype):
    return Sequential(Affine(6, 8, rng, init="he", dtype=dtype), ReLU(dtype),
                      Affine(8, 3, rng, init="he", dtype=dtype))


@pytest.fixture
def members(tmp_path):
    paths = []
    for seed in range(3):
        path = tmp_path / f"m{seed}.npz"
        save_weights(build(np.random.default_rng(seed + 1), np.float32), path)
        paths.append(path)
    return paths


def test_average_is_the_mean_of_the_softmaxes(members):
    x = np.random.default_rng(0).standard_normal((20, 6)).astype(np.float32)
    models = load_members(build, members)
    expected = np.mean([softmax(m.forward(x).astype(np.float64)) for m in models], axis=0)
    np.testing.assert_allclose(average_probabilities(models, x, batch_size=7), expected, rtol=1e-12)


def test_stable_predictions_match_float64(members):
    x = np.random.default_rng(1).standard_normal((200, 6)).astype(np.float32)
    result = stable_predictions(build, members, x, closest=20)
    exact = average_probabilities(load_members(build, members, np.float64), x.astype(np.float64))
    np.testing.assert_array_equal(result.labels, exact.argmax(axis=1))
    assert len(result.recomputed) == 20
    assert result.smallest_kept_margin >= np.sort(result.margin)[0]
    np.testing.assert_allclose(result.probabilities[result.recomputed], exact[result.recomputed], rtol=1e-12)


def test_an_exact_tie_outside_the_recomputed_rows_is_refused(tmp_path):
    # two classes with identical weights: every image is a tie, margin 0
    model = build(np.random.default_rng(0), np.float32)
    model[2].W.data[1] = model[2].W.data[0]
    model[2].b.data[1] = model[2].b.data[0]
    save_weights(model, tmp_path / "tie.npz")
    x = np.abs(np.random.default_rng(2).standard_normal((10, 6))).astype(np.float32)
    with pytest.raises(ValueError, match="larger closest"):
        stable_predictions(build, [tmp_path / "tie.npz"], x, closest=2)


def test_float16_weights_load_as_dicts(members):
    with np.load(members[0]) as f:
        half = {k: f[k].astype(np.float16) for k in f.files}
    (model,) = load_members(build, [half])
    assert model[0].W.data.dtype == np.float32
    np.testing.assert_array_equal(model[0].W.data, half["0.W"].astype(np.float32))


def test_bad_arguments_say_what_to_do(members):
    with pytest.raises(ValueError, match="wrap a single one in a list"):
        load_members(build, str(members[0]))
    with pytest.raises(ValueError, match="at least one member"):
        load_members(build, [])
    with pytest.raises(ValueError, match="at least one model"):
        average_probabilities([], np.zeros((1, 6)))
