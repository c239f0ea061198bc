"""Checkers for the exercises of chapter 12 (convolutional networks).

``check_output_size(fn)`` tests a reader's ``output_size(input_size, filter_size, stride, pad)``,
the length of a convolution's (or pooling's) output along one axis, Saitoh's equation 7.1 with the
rounding down of :func:`nnlib.conv.conv_output_size`. The cases include Saitoh's three worked
examples; the usual slips (one ``pad`` instead of two, a missing ``+ 1``, ``/`` instead of ``//``,
rounding up) are named.

``check_im2col_one(fn)`` tests a reader's ``im2col_one(image, filter_h, filter_w, stride, pad)``
for a single image of shape (C, H, W): it must return :func:`nnlib.conv.im2col` of that image, a
matrix of shape (OH*OW, C*FH*FW) with one row per output pixel and each row ordered channel, then
filter row, then filter column.
"""
import math

import numpy as np

from ..conv import conv_output_size, im2col
from . import Case, check_function, describe

__all__ = ["check_output_size", "check_im2col_one", "output_size_cases", "im2col_cases"]


def _size_expectation(expected, input_size, filter_size, stride, pad):
    """A comparison for one output-size case that names the slip a wrong value matches."""
    span = input_size + 2 * pad - filter_size
    slips = {
        "what you get with pad counted once, (H + P - F) // S + 1: the padding is added on both sides":
            (input_size + pad - filter_size) // stride + 1,
        "what you get without the + 1: a filter that fits exactly still gives one output":
            span // stride,
        "rounded up; a window that does not fit completely is dropped, so round down":
            math.ceil(span / stride) + 1,
        "what you get with the stride ignored": span + 1,
    }

    def compare(result):
        if isinstance(result, (bool, np.bool_)):
            return False, f"expected a whole number, got {describe(result)}"
        if isinstance(result, (float, np.floating)):
            if float(result) == expected:
                return False, (f"got {describe(result)}: the value is right, but a size is a whole "
                               "number; use // (integer division) instead of /")
            if math.isfinite(float(result)) and math.floor(float(result)) == expected:
                return False, (f"got {describe(result)}: (H + 2P - F) / S is not a whole number "
                               "here; the last window does not fit and is dropped, so divide with //")
            return False, f"expected {expected}, got {describe(result)}"
        if not isinstance(result, (int, np.integer)):
            return False, f"expected a whole number, got {describe(result)}"
        if int(result) == expected:
            return True, ""
        for slip, wrong in slips.items():
            if wrong != expected and int(result) == wrong:
                return False, f"expected {expected}, got {int(result)}, {slip}"
        return False, f"expected {expected}, got {int(result)}"
    return compare


def output_size_cases():
    """The cases of :func:`check_output_size`: Saitoh's examples, the book's networks, rounding."""
    hint = ("OH = (H + 2*P - FH) // S + 1: the padded input has H + 2P rows, the first window "
            "starts at row 0, and the last one must end inside the padded input.")
    cases = []
    for args, note in [((4, 3, 1, 1), "Saitoh's example 1: (4, 4) input, pad 1, 3x3 filter"),
                       ((7, 3, 2, 0), "Saitoh's example 2: (7, 7) input, stride 2"),
                       ((28, 5, 3, 2), "Saitoh's example 3, height: 28, pad 2, stride 3, 5x5"),
                       ((31, 5, 3, 2), "Saitoh's example 3, width: 31"),
                       ((28, 5, 1, 0), "SimpleConvNet's convolution: 28 -> 24"),
                       ((24, 2, 2, 0), "SimpleConvNet's 2x2 pooling with stride 2: 24 -> 12"),
                       ((14, 3, 1, 2), "DeepConvNet's fourth convolution, pad 2: 14 -> 16"),
                       ((8, 3, 2, 0), "8 wide, 3x3 filter, stride 2: the last column is left over"),
                       ((5, 5, 1, 0), "a filter as large as the input: one output")]:
        expected = conv_output_size(*args)
        h, f, s, p = args
        cases.append(Case(f"output_size({h}, {f}, stride={s}, pad={p}) = {expected}: {note}",
                          h, f, stride=s, pad=p, expected=_size_expectation(expected, *args),
                          hint=hint))
    return cases


def check_output_size(fn):
    """Check a reader's ``output_size(input_size, filter_size, stride, pad)`` and print the report."""
    check_function(fn, output_size_cases(), name=getattr(fn, "__name__", "output_size"))


def _im2col_expectation(image, fh, fw, stride, pad):
    """A comparison for one im2col case that recognises a transposed or reordered result."""
    C = image.shape[0]
    expected = im2col(image[None], fh, fw, stride, pad)
    rows = expected.shape[0]

    def compare(result):
        if result is None:
            return False, "got None: did you forget `return`?"
        try:
            got = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            return False, f"expected an array of shape {expected.shape}, got {describe(result)}"
        if got.shape == expected.shape[::-1] and got.shape != expected.shape:
            return False, (f"got shape {got.shape}, the transpose of {expected.shape}: one ROW per "
                           "output pixel (window), one column per filter element")
        if got.shape != expected.shape:
            return False, (f"expected shape {expected.shape} (OH*OW = {rows} windows, "
                           f"C*FH*FW = {C}*{fh}*{fw} entries each), got shape {got.shape}")
        if np.allclose(got, expected, rtol=0, atol=1e-12):
            return True, ""
        # entries ordered (row, column, channel) instead of (channel, row, column)?
        reordered = expected.reshape(rows, C, fh, fw).transpose(0, 2, 3, 1).reshape(rows, -1)
        if C > 1 and np.allclose(got, reordered, rtol=0, atol=1e-12):
            return False, ("every row holds the right numbers in the wrong order: channel first, "
                           "then filter row, then filter column (the order of W.reshape(FN, -1))")
        if np.allclose(np.sort(got, axis=None), np.sort(expected, axis=None), rtol=0, atol=1e-12):
            return False, ("the right numbers, in the wrong places: row k must be the window of "
                           "output pixel (k // OW, k % OW), read row by row")
        return False, f"expected {describe(expected)}\ngot      {describe(got)}"
    return compare


def im2col_cases():
    """The cases of :func:`check_im2col_one`: small images with distinct values, Saitoh's (9, 75)."""
    rng = np.random.default_rng(12)
    hint = ("loop over the output pixels (oh, ow) row by row; for each one take the window "
            "padded[:, oh*stride : oh*stride + FH, ow*stride : ow*stride + FW] and flatten it "
            "into the next row; pad first with np.pad(image, ((0, 0), (pad, pad), (pad, pad))).")
    cases = []
    for shape, fh, fw, stride, pad, note in [
            ((1, 4, 4), 3, 3, 1, 0, "a 4x4 image, 3x3 filter: 4 windows of 9"),
            ((3, 7, 7), 5, 5, 1, 0, "Saitoh's (3, 7, 7) image, 5x5 filter: shape (9, 75)"),
            ((1, 5, 5), 3, 3, 2, 0, "stride 2"),
            ((2, 4, 4), 3, 3, 1, 1, "two channels, padding 1"),
            ((1, 4, 6), 2, 3, 1, 0, "a wide image and a 2x3 filter")]:
        image = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) + rng.uniform(0, 0.5, shape)
        rows = conv_output_size(shape[1], fh, stride, pad) * conv_output_size(shape[2], fw, stride, pad)
        description = (f"image {shape}, filter {fh}x{fw}, stride {stride}, pad {pad} -> "
                       f"({rows}, {shape[0] * fh * fw}): {note}")
        cases.append(Case(description, image, fh, fw, stride=stride, pad=pad,
                          expected=_im2col_expectation(image, fh, fw, stride, pad), hint=hint))
    return cases


def check_im2col_one(fn):
    """Check a reader's ``im2col_one(image, filter_h, filter_w, stride, pad)`` and print the report."""
    check_function(fn, im2col_cases(), name=getattr(fn, "__name__", "im2col_one"))
