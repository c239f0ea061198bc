"""Chapter 12's checkers: right answers pass, the usual slips fail with the intended message."""
import numpy as np
import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch12 import check_im2col_one, check_output_size, im2col_cases, output_size_cases
from nnlib.conv import conv_output_size, im2col


def output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1


def im2col_one(image, filter_h, filter_w, stride=1, pad=0):
    # written with loops, independently of nnlib.conv.im2col
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad)))
    C, H, W = padded.shape
    rows = []
    for oh in range((H - filter_h) // stride + 1):
        for ow in range((W - filter_w) // stride + 1):
            window = padded[:, oh * stride:oh * stride + filter_h, ow * stride:ow * stride + filter_w]
            rows.append(window.ravel())
    return np.array(rows)


def failed(report):
    return [r for r in report.results if not r.ok]


def test_right_output_size_passes(capsys):
    assert run_checks(output_size, output_size_cases()).passed
    check_output_size(output_size)
    assert f"All {len(output_size_cases())} checks passed." in capsys.readouterr().out


def test_saitoh_examples_are_among_the_cases():
    text = " ".join(c.description for c in output_size_cases())
    assert "output_size(28, 5, stride=3, pad=2) = 10" in text
    assert "output_size(31, 5, stride=3, pad=2) = 11" in text
    assert conv_output_size(4, 3, 1, 1) == 4 and conv_output_size(7, 3, 2, 0) == 3


@pytest.mark.parametrize("wrong, slip", [
    (lambda h, f, stride=1, pad=0: (h + pad - f) // stride + 1, "pad counted once"),
    (lambda h, f, stride=1, pad=0: (h + 2 * pad - f) // stride, "without the + 1"),
    (lambda h, f, stride=1, pad=0: -(-(h + 2 * pad - f) // stride) + 1, "rounded up"),
    (lambda h, f, stride=1, pad=0: (h + 2 * pad - f) / stride + 1, "use //"),
])
def test_usual_output_size_slips_are_named(wrong, slip):
    report = run_checks(wrong, output_size_cases())
    assert not report.passed
    assert any(slip in r.message for r in failed(report)), str(report)


def test_float_division_fails_only_where_it_matters():
    report = run_checks(lambda h, f, stride=1, pad=0: (h + 2 * pad - f) / stride + 1,
                        output_size_cases())
    # every float result is refused (a size is a whole number), the non-divisible case says why
    assert len(failed(report)) == len(output_size_cases())
    assert any("not a whole number here" in r.message for r in failed(report))


def test_reader_im2col_passes_and_equals_nnlib(capsys):
    assert run_checks(im2col_one, im2col_cases()).passed
    check_im2col_one(im2col_one)
    assert f"All {len(im2col_cases())} checks passed." in capsys.readouterr().out
    x = np.random.default_rng(0).standard_normal((3, 7, 7))
    assert im2col_one(x, 5, 5).shape == (9, 75)
    np.testing.assert_array_equal(im2col_one(x, 5, 5), im2col(x[None], 5, 5))


def test_transposed_im2col_is_named():
    report = run_checks(lambda *a, **k: im2col_one(*a, **k).T, im2col_cases())
    assert not report.passed
    assert any("transpose" in r.message for r in failed(report)), str(report)


def test_channel_last_order_is_named():
    def channels_last(image, fh, fw, stride=1, pad=0):
        col = im2col_one(image, fh, fw, stride, pad)
        C = image.shape[0]
        return col.reshape(len(col), C, fh, fw).transpose(0, 2, 3, 1).reshape(len(col), -1)

    report = run_checks(channels_last, im2col_cases())
    assert not report.passed
    assert any("channel first" in r.message for r in failed(report)), str(report)


def test_columns_first_window_order_is_named():
    def column_major(image, fh, fw, stride=1, pad=0):
        padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad)))
        C, H, W = padded.shape
        return np.array([padded[:, oh * stride:oh * stride + fh, ow * stride:ow * stride + fw].ravel()
                         for ow in range((W - fw) // stride + 1)
                         for oh in range((H - fh) // stride + 1)])

    report = run_checks(column_major, im2col_cases())
    assert not report.passed
    assert any("wrong places" in r.message for r in failed(report)), str(report)


def test_stub_is_reported_as_not_written(capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    check_output_size(stub)
    check_im2col_one(stub)
    out = capsys.readouterr().out
    assert out.count("is not written yet") == 2
