"""A fixed, log-spaced latency histogram whose percentiles merge across hours and days.

Why fixed buckets: hourly roll-ups are summed into days and periods long after the raw records
were read, so each hour must keep something *additive*. Exact percentiles are not additive;
counts per fixed bucket are (DDSketch's idea, without the collapsing).

Buckets (``GAMMA`` = 1.08): index ``i >= 1`` holds latencies in ``(GAMMA**(i-1), GAMMA**i]`` ms and
is reported as ``2 * GAMMA**i / (GAMMA + 1)``, the point with the same *relative* distance to both
edges. So a reported percentile is within ``RELATIVE_ERROR`` = (GAMMA-1)/(GAMMA+1) ≈ 3.85 % of the
exact nearest-rank percentile of the raw values, for latencies between 1 ms and ``GAMMA**MAX_INDEX``
(≈ 3.2 h). Index 0 holds everything ≤ 1 ms and is reported as 1 ms (error ≤ 1 ms absolute);
anything beyond the last bucket is clamped into it. Stored sparsely: ``{"index": count}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

GAMMA = 1.08
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)
MAX_INDEX = 150  # GAMMA ** 150 ms ≈ 3.2 hours, far beyond any FC timeout
_LOG_GAMMA = math.log(GAMMA)

Histogram = dict[int, int]


def bucket_index(ms: float) -> int:
    """The bucket of a latency in milliseconds (non-finite or negative values are not latencies)."""
    if not math.isfinite(ms) or ms < 0:
        raise ValueError(f"not a latency: {ms!r}")
    if ms <= 1.0:
        return 0
    return min(MAX_INDEX, max(1, math.ceil(math.log(ms) / _LOG_GAMMA - 1e-9)))


def bucket_value(index: int) -> float:
    """The value reported for a bucket: equidistant (relatively) from its two edges."""
    if index <= 0:
        return 1.0
    return 2 * GAMMA**index / (GAMMA + 1)


def add(hist: Histogram, ms: float, count: int = 1) -> None:
    index = bucket_index(ms)
    hist[index] = hist.get(index, 0) + count


def merge_into(target: Histogram, source: Mapping[int, int]) -> None:
    for index, count in source.items():
        target[index] = target.get(index, 0) + count


def percentile(hist: Mapping[int, int], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of the histogram; None when it is empty."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total - 1e-9))
    seen = 0
    for index in sorted(hist):
        seen += hist[index]
        if seen >= rank:
            return round(bucket_value(index), 2)
    return round(bucket_value(max(hist)), 2)  # unreachable: ranks never exceed the total


def exact_percentile(values: Iterable[float], q: float) -> float | None:
    """The exact nearest-rank percentile, the reference ``percentile`` approximates (tests, bench)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(q * len(ordered) - 1e-9)) - 1]


def to_json(hist: Mapping[int, int]) -> dict[str, int]:
    return {str(index): count for index, count in sorted(hist.items())}


def from_json(raw: Mapping[str, int] | None) -> Histogram:
    return {int(index): int(count) for index, count in (raw or {}).items()}
