"""Sliders: the values a reader can choose for one parameter of a figure, and their labels."""
import math
import numbers

import numpy as np

DEFAULT_FLOAT_STEPS = 21
DEFAULT_MAX_INTEGER_STEPS = 51


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _plain(value):
    """NumPy scalars -> Python scalars (so values hash, compare and print the same way)."""
    return value.item() if isinstance(value, np.generic) else value


def _round_grid(grid, keep):
    """Round the float values of `grid` to the fewest significant digits (at least 3) that keep
    them distinct, so the draw function and the labels see 0.00158 rather than 0.001584893...
    Values in `keep` (min, max, default) stay exactly as the author wrote them."""
    for digits in range(3, 17):
        rounded = [v if v in keep else float(f"{v:.{digits}g}") for v in grid]
        if len(set(rounded)) == len(grid):
            return rounded
    return list(grid)


class Slider:
    """One parameter of an interactive figure: the values a reader can choose and the default.

    Either a range ``Slider(min, max, default=..., steps=..., log=False, integer=False)``, giving
    ``steps`` evenly spaced values (evenly spaced exponents if ``log``; whole numbers if
    ``integer``), or an explicit list ``Slider(values=[...], default=...)`` (numbers or strings).

    The grid always contains ``min``, ``max`` and ``default``: a default between two grid points
    replaces the nearest inner point. ``label`` is shown next to the slider (default: the keyword
    name); ``fmt`` is a format spec for the displayed values, e.g. ``".2f"``.
    ``steps`` defaults to 21 for floats and to every whole number (at most 51) for integers;
    ``default`` to the first value.

    Attributes: ``values`` (tuple), ``default``, ``default_index``, ``label`` (None until named).
    """

    def __init__(self, min=None, max=None, *, default=None, steps=None, log=False, integer=False,
                 label=None, values=None, fmt=None):
        if values is not None:
            if min is not None or max is not None or steps is not None or log or integer:
                raise ValueError(
                    "Slider: give either values=[...] or a range (min, max, steps, log, integer), "
                    f"not both; received values={values!r} together with min={min!r}, max={max!r}, "
                    f"steps={steps!r}, log={log!r}, integer={integer!r}.")
            grid = self._check_values(values)
        else:
            grid = self._make_range(min, max, default, steps, log, integer)
        default = grid[0] if default is None else _plain(default)
        if default not in grid:  # (a range always holds its default: _make_range puts it there)
            raise ValueError(f"Slider: default={default!r} is not one of values={list(grid)!r}; "
                             "pick the default from the list.")
        default = grid[grid.index(default)]  # the grid's own value: 1.0, not 1, on a float slider
        if fmt is not None:
            try:
                format(grid[0], fmt)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"Slider: fmt={fmt!r} cannot format the value {grid[0]!r} ({exc}); "
                                 "give a format spec such as '.3g' or '.2f'.") from None
        if label is not None and not isinstance(label, str):
            raise ValueError(f"Slider: label must be a string, received {label!r}.")
        self.values = tuple(grid)
        self.default = default
        self.default_index = self.values.index(default)
        self.label = label
        self.fmt = fmt

    @staticmethod
    def _check_values(values):
        grid = [_plain(v) for v in values]
        if len(grid) < 2:
            raise ValueError(f"Slider: values needs at least two entries, received {values!r}.")
        for v in grid:
            if not (_is_real(v) or isinstance(v, (str, bool))):
                raise ValueError(f"Slider: values must be numbers or strings, received {v!r} "
                                 f"of type {type(v).__name__}.")
            if _is_real(v) and not math.isfinite(v):
                raise ValueError(f"Slider: values must be finite, received {v!r}.")
        if len(set(grid)) != len(grid):
            raise ValueError(f"Slider: values must be distinct, received {values!r}.")
        return grid

    @staticmethod
    def _make_range(low, high, default, steps, log, integer):
        if low is None or high is None:
            raise ValueError("Slider: give a range Slider(min, max, default=...) or an explicit list "
                             f"Slider(values=[...]); received min={low!r}, max={high!r}.")
        given = [("min", low), ("max", high)] + ([("default", default)] if default is not None else [])
        for what, v in given:
            if not _is_real(v) or not math.isfinite(v):
                raise ValueError(f"Slider: {what} must be a finite number, received {v!r}.")
        if not low < high:
            raise ValueError(f"Slider: min must be smaller than max, received min={low!r}, max={high!r}.")
        if log and low <= 0:
            raise ValueError(f"Slider: a log slider needs min > 0, received min={low!r}.")
        if integer:
            for what, v in given:
                if v != int(v):
                    raise ValueError(f"Slider: an integer slider needs whole numbers, received {what}={v!r}.")
            low, high = int(low), int(high)
            default = None if default is None else int(default)
        elif default is not None:
            default = float(default)
        if default is not None and not low <= default <= high:
            raise ValueError(f"Slider: default={default!r} lies outside the range [{low!r}, {high!r}]; "
                             "choose a default between min and max.")
        if steps is None:
            steps = min(high - low + 1, DEFAULT_MAX_INTEGER_STEPS) if integer else DEFAULT_FLOAT_STEPS
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 2:
            raise ValueError(f"Slider: steps must be a whole number >= 2, received steps={steps!r}.")
        steps = int(steps)

        if log:
            raw = np.logspace(np.log10(low), np.log10(high), steps)
        else:
            raw = np.linspace(low, high, steps)
        if integer:
            grid = sorted(set(int(round(v)) for v in raw) | {low, high})
        else:
            grid = [float(v) for v in raw]
            grid[0], grid[-1] = float(low), float(high)
        if default is not None and default not in grid:
            # Replace the nearest inner grid point by the default (or insert it, if the nearest
            # point is an end of the range), so min, max and default are always on the grid.
            scale = math.log if log else float
            inner = range(1, len(grid) - 1)
            nearest = min(inner, key=lambda i: abs(scale(grid[i]) - scale(default)), default=None)
            if nearest is None:
                grid.append(default)
            else:
                grid[nearest] = default
            grid = sorted(set(grid))
        if not integer:
            keep = {float(low), float(high)} | ({float(default)} if default is not None else set())
            grid = _round_grid(grid, keep)
        return grid

    def format(self, value):
        """The text shown for `value` next to the slider."""
        if self.fmt is not None:
            return format(value, self.fmt)
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    def __repr__(self):
        return (f"Slider(values=[{self.format(self.values[0])} .. {self.format(self.values[-1])}] "
                f"({len(self.values)} values), default={self.default!r}, label={self.label!r})")
