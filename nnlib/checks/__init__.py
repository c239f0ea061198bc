"""Checkers for the "write this function" exercises of the chapters.

A chapter asks the reader to write a function, then calls a checker from this package on it. The
checker runs the reader's function on a list of cases and prints one line per case: what passed, and
for what failed, what was expected and what came back. It never lets a traceback escape: an exception
inside the reader's function is reported as a failed case with its type and message, and a function
that still raises ``NotImplementedError`` is reported as "not written yet".

The machinery lives here; the cases of each chapter live in ``nnlib.checks.chNN`` modules, which
compare the reader's function with the library's own implementation (or with exact values from the
source books).

Example::

    from nnlib.checks import Case, check_function

    def double(x):
        return 2 * x

    check_function(double, [Case("2 -> 4", 2, expected=4)], name="double")

prints::

    Checking double: 1 case
      ✓ 2 -> 4
    All 1 checks passed.
"""
import copy

import numpy as np

__all__ = ["Case", "CaseResult", "CheckReport", "run_checks", "check_function", "check_choice", "describe"]


class Case:
    """One call of the reader's function and the result it must give.

    ``Case(description, *args, expected=..., **kwargs)`` calls ``fn(*args, **kwargs)``. ``expected``
    is the exact value (arrays compared with ``rtol``/``atol``, shapes must match), or a callable
    ``expected(result) -> (ok, message)`` for results that are right in more than one way.
    ``hint`` is printed under the line when the case fails. ``check_dtype=True`` also requires an
    array result to have the expected array's dtype (float32 in, float32 out: no silent upcast,
    no booleans where numbers are wanted).
    """

    def __init__(self, description, *args, expected, hint=None, rtol=1e-6, atol=1e-8,
                 check_dtype=False, **kwargs):
        self.description = description
        self.args = args
        self.kwargs = kwargs
        self.expected = expected
        self.hint = hint
        self.rtol = rtol
        self.atol = atol
        self.check_dtype = check_dtype


class CaseResult:
    """What happened in one case: ``ok``, the case, and a message for a failure."""

    def __init__(self, case, ok, message=""):
        self.case = case
        self.ok = ok
        self.message = message


class CheckReport:
    """All case results of one check; ``str(report)`` is the text that ``check_function`` prints."""

    def __init__(self, name, results, not_written=False):
        self.name = name
        self.results = results
        self.not_written = not_written

    @property
    def passed(self):
        """True when the function exists and every case passed."""
        return not self.not_written and all(r.ok for r in self.results)

    @property
    def n_passed(self):
        return sum(r.ok for r in self.results)

    def __str__(self):
        n = len(self.results)
        lines = [f"Checking {self.name}: {n} case{'s' if n != 1 else ''}"]
        if self.not_written:
            lines.append(f"  {self.name} is not written yet: replace `raise NotImplementedError`")
            lines.append("  with your code and run this cell again.")
            return "\n".join(lines)
        for r in self.results:
            mark = "✓" if r.ok else "✗"
            lines.append(f"  {mark} {r.case.description}")
            if not r.ok:
                lines.extend("      " + line for line in r.message.splitlines())
                if r.case.hint:
                    lines.append(f"      hint: {r.case.hint}")
        if self.passed:
            lines.append(f"All {n} checks passed.")
        else:
            lines.append(f"{self.n_passed} of {n} checks passed; fix the ones marked ✗ and run again.")
        return "\n".join(lines)

    def __repr__(self):
        return f"<CheckReport {self.name}: {self.n_passed}/{len(self.results)} passed>"


def describe(value):
    """A short, readable description of a value for a failure message."""
    if isinstance(value, np.ndarray):
        # 6 significant digits; NumPy switches to scientific notation when the values span many
        # orders of magnitude, so 2.06e-09 is not shown as 0.
        with np.printoptions(precision=6, threshold=20, edgeitems=3):
            text = np.array2string(value, separator=", ")
        text = " ".join(text.split())
        return f"array {text} (shape {value.shape}, dtype {value.dtype})"
    if isinstance(value, (float, np.floating)):
        return f"{type(value).__name__} {float(value):.6g}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _compare(result, case):
    """Return (ok, message) for one result against the case's expectation."""
    expected = case.expected
    if callable(expected):
        outcome = expected(result)
        if isinstance(outcome, tuple):
            return bool(outcome[0]), str(outcome[1]) if len(outcome) > 1 else ""
        return bool(outcome), f"got {describe(result)}"
    if isinstance(expected, (np.ndarray, list, tuple)) and not isinstance(expected, str):
        expected_arr = np.asarray(expected)
        if result is None:
            return False, "got None: did you forget `return`?"
        try:
            result_arr = np.asarray(result)
        except Exception:  # noqa: BLE001 - any value the reader returns must be reportable
            return False, f"expected {describe(expected_arr)}\ngot {describe(result)}"
        if result_arr.shape != expected_arr.shape:
            return False, (f"expected shape {expected_arr.shape}, got shape {result_arr.shape}\n"
                           f"expected {describe(expected_arr)}\ngot      {describe(result_arr)}")
        if case.check_dtype and result_arr.dtype != expected_arr.dtype:
            return False, f"expected dtype {expected_arr.dtype}, got dtype {result_arr.dtype}"
        if expected_arr.dtype.kind in "fc" or result_arr.dtype.kind in "fc":
            try:
                ok = np.allclose(result_arr.astype(np.float64), expected_arr.astype(np.float64),
                                 rtol=case.rtol, atol=case.atol, equal_nan=False)
            except (TypeError, ValueError):
                ok = False
        else:
            ok = np.array_equal(result_arr, expected_arr)
        if ok:
            return True, ""
        return False, f"expected {describe(expected_arr)}\ngot      {describe(result_arr)}"
    if isinstance(expected, (float, np.floating)):
        try:
            ok = abs(float(result) - float(expected)) <= case.atol + case.rtol * abs(float(expected))
        except (TypeError, ValueError):
            ok = False
    else:
        try:
            ok = bool(result == expected)
        except Exception:  # noqa: BLE001 - e.g. an array compared with a scalar
            ok = False
    if ok:
        return True, ""
    if result is None and expected is not None:
        return False, "got None: did you forget `return`?"
    return False, f"expected {describe(expected)}\ngot      {describe(result)}"


def _where(exc):
    """The line of the reader's code where an exception was raised, if it is known."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return ""
    filename = last.tb_frame.f_code.co_filename
    if "ipykernel" in filename or filename.startswith("<"):
        return f" (line {last.tb_lineno} of your cell)"
    return ""


def run_checks(candidate, cases, *, name=None):
    """Run every case on ``candidate`` and return a :class:`CheckReport` (prints nothing).

    Arguments are deep-copied before each call, so a function that changes its input in place cannot
    spoil the next case.
    """
    name = name or getattr(candidate, "__name__", "your function")
    if not callable(candidate):
        results = [CaseResult(Case("a function to call", expected=None), False,
                              f"expected a function, got {describe(candidate)}")]
        return CheckReport(name, results)
    results = []
    for case in cases:
        args = copy.deepcopy(case.args)
        kwargs = copy.deepcopy(case.kwargs)
        try:
            result = candidate(*args, **kwargs)
        except NotImplementedError:
            return CheckReport(name, [CaseResult(c, False) for c in cases], not_written=True)
        except Exception as exc:  # noqa: BLE001 - report the reader's error, never a traceback
            results.append(CaseResult(case, False,
                                      f"raised {type(exc).__name__}: {exc}{_where(exc)}"))
            continue
        try:
            ok, message = _compare(result, case)
        except Exception as exc:  # noqa: BLE001 - a strange return value is the reader's bug too
            ok, message = False, f"could not compare the result ({type(exc).__name__}: {exc})"
        results.append(CaseResult(case, ok, message))
    return CheckReport(name, results)


def check_function(candidate, cases, *, name=None):
    """Run the cases and print the report (see :func:`run_checks`, which returns it instead).

    Returns None, so a notebook cell that ends with a check shows the report once and nothing else.
    """
    print(run_checks(candidate, cases, name=name))


def check_choice(answer, question, choices, correct, *, hint, normalise=None, ask=None,
                 answered="you answered {!r}"):
    """Check a reader's answer to a "predict first" question with a few possible answers.

    ``answer`` is compared as text (stripped, then passed through ``normalise``) with ``choices``;
    an answer outside them is told to ``ask`` ("answer one of ..." by default), a wrong one gets
    ``hint``. Prints the report, like :func:`check_function`.
    """
    def compare(result):
        text = str(result).strip()
        text = normalise(text) if normalise else text
        if text not in choices:
            wanted = ask or "one of " + ", ".join(repr(c) for c in choices)
            return False, f"answer {wanted}, got {describe(result)}"
        return text == correct, answered.format(text)
    check_function(lambda _: answer, [Case(question, None, expected=compare, hint=hint)],
                   name="prediction")
