"""Pure helpers shared by the estimators: timing statistics, the result
dict every estimator returns, and parsing a runner's printed latency."""
import re
from typing import Optional, Sequence

import numpy as np

#: Keys of the dict returned by every ``measure()``.
RESULT_KEYS = ('ok', 'mean_ms', 'median_ms', 'min_ms', 'std_ms', 'cv',
               'repeats', 'error')


def summarize_timings(times_ms: Sequence[float]) -> dict:
    """Statistics of repeated timings of one model.

    Args:
        times_ms (Sequence[float]): One wall time per run, in milliseconds.

    Returns:
        dict: ``ok=True``, ``mean_ms``, ``median_ms``, ``min_ms``, ``std_ms``
        (population std), ``cv`` (``std_ms / mean_ms``), ``repeats`` and
        ``error=None``.
    """
    t = np.asarray(times_ms, dtype=np.float64)
    if t.size == 0:
        raise ValueError('summarize_timings needs at least one timing')
    mean = float(t.mean())
    std = float(t.std())
    return dict(
        ok=True,
        mean_ms=mean,
        median_ms=float(np.median(t)),
        min_ms=float(t.min()),
        std_ms=std,
        cv=std / mean if mean > 0 else 0.0,
        repeats=int(t.size),
        error=None)


def failed_result(error: str) -> dict:
    """The result of a measurement that failed: ``ok=False``, NaN timings and
    a one-line ``error``."""
    nan = float('nan')
    return dict(
        ok=False,
        mean_ms=nan,
        median_ms=nan,
        min_ms=nan,
        std_ms=nan,
        cv=nan,
        repeats=0,
        error=one_line(error))


def one_line(text: str, limit: int = 300) -> str:
    """First non-empty line of ``text``, at most ``limit`` characters."""
    for line in str(text).splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[:limit - 3] + '...'
    return ''


def describe_exception(e: BaseException) -> str:
    """``'<ExceptionType>: <first line of the message>'``."""
    msg = one_line(str(e))
    return f'{type(e).__name__}: {msg}' if msg else type(e).__name__


_UNITS = {'s': 1000.0, 'ms': 1.0, 'us': 1e-3}


def parse_latency_ms(text: str,
                     pattern: str,
                     unit: str = 'ms') -> Optional[float]:
    """The latency printed by an on-device benchmark runner, in ms.

    Args:
        text (str): The runner's output.
        pattern (str): Regular expression whose first group is the number.
        unit (str): Unit of that number: 's', 'ms' or 'us'. Defaults to 'ms'.

    Returns:
        float | None: The last match converted to milliseconds, or None when
        the pattern does not match.
    """
    matches = re.findall(pattern, text)
    if not matches:
        return None
    value = matches[-1]
    if isinstance(value, tuple):
        value = value[0]
    return float(value) * _UNITS[unit]


def passes_of(result: Optional[dict]) -> int:
    """How many successful passes a stored result pools (0: none)."""
    if not result or not result.get('ok'):
        return 0
    return int(result.get('passes', 1))


def merge_passes(old: Optional[dict], new: dict) -> dict:
    """Pool two measurements of the same model taken at different times.

    Other processes only ever add time, and their bursts last seconds, so
    each statistic keeps its least disturbed pass: ``mean_ms``,
    ``median_ms`` and ``min_ms`` are the minimum over passes; ``std_ms`` and
    ``cv`` come from the pass with the lowest median; ``repeats`` add up and
    ``passes`` counts the successful passes. A failed pass is ignored if the
    other succeeded.
    """
    if passes_of(old) == 0:
        return dict(new, passes=1) if new.get('ok') else dict(new)
    if not new.get('ok'):
        return dict(old)
    steady = new if new['median_ms'] < old['median_ms'] else old
    merged = dict(old)
    merged.update(
        mean_ms=min(old['mean_ms'], new['mean_ms']),
        median_ms=min(old['median_ms'], new['median_ms']),
        min_ms=min(old['min_ms'], new['min_ms']),
        std_ms=steady['std_ms'],
        cv=steady['cv'],
        repeats=old['repeats'] + new['repeats'],
        passes=passes_of(old) + 1)
    return merged
