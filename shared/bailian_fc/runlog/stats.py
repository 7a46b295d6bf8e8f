"""Additive call statistics: one per (hour, app) in a roll-up, summed into days, apps and totals.

Everything kept here merges by addition (counts, sums, histogram buckets), which is what lets a
completed hour be summarised once and reused for every later dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import histogram

CACHE_STATES = ("hit", "miss", "stale", "refresh", "none")
SERVED_FROM_CACHE = ("hit", "stale")
ORIGINS = ("user", "scheduled")
MICRO = 1_000_000
# The run-log ``user`` of scheduled traffic (the App2 prewarm job, scheduled/app2.py): by the user
# rather than a new record field, so records written before the split are classified too.
SCHEDULED_USERS = frozenset({"prewarm"})


def origin(record: Mapping[str, Any]) -> str:
    """``scheduled`` (the prewarm) or ``user`` (a person's call through the apps function)."""
    return "scheduled" if record.get("user") in SCHEDULED_USERS else "user"


@dataclass
class Stats:
    calls: int = 0
    ok: int = 0
    errors: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)
    # Calls refused for what the caller sent (validation, ClueNotFound, …: the 4xx), by code.
    rejected: int = 0
    rejected_codes: dict[str, int] = field(default_factory=dict)
    cache: dict[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_used: int = 0  # usage.py's rule, per record (older records: input + output)
    latency: histogram.Histogram = field(default_factory=dict)  # of latency_ms.total
    latency_sum_ms: float = 0.0
    # ¥ from the price table (runlog/cost.py); calls with tokens of an unpriced model counted apart.
    cost_cny: float = 0.0
    unpriced_calls: int = 0
    unpriced_tokens: int = 0
    # Per user (``sub``): [calls, tokens_used, micro-¥], so the dashboard can say who spends what.
    users: dict[str, list[int]] = field(default_factory=dict)

    def add_record(self, record: Mapping[str, Any]) -> None:
        """Count one run log record; malformed fields count as absent rather than failing the hour."""
        self.calls += 1
        if record.get("status") == "rejected":
            self.rejected += 1
            code = str(record.get("error_code") or "unknown")
            self.rejected_codes[code] = self.rejected_codes.get(code, 0) + 1
        elif record.get("status") == "error":
            self.errors += 1
            code = str(record.get("error_code") or "unknown")
            self.error_codes[code] = self.error_codes.get(code, 0) + 1
        else:
            self.ok += 1
        state = str(record.get("cache") or "none")
        self.cache[state] = self.cache.get(state, 0) + 1
        tokens = _mapping(record.get("tokens"))
        tin, tout = _int(tokens.get("input_tokens")), _int(tokens.get("output_tokens"))
        self.input_tokens += tin
        self.output_tokens += tout
        self.tokens_used += _int(tokens.get("tokens_used")) if "tokens_used" in tokens else tin + tout
        cost = _number(record.get("cost_cny"))
        unpriced = _int(record.get("unpriced_tokens"))
        self.cost_cny += cost
        self.unpriced_tokens += unpriced
        self.unpriced_calls += 1 if unpriced else 0
        used = _int(tokens.get("tokens_used")) if "tokens_used" in tokens else tin + tout
        user = self.users.setdefault(str(record.get("user") or ""), [0, 0, 0])
        user[0], user[1], user[2] = user[0] + 1, user[1] + used, user[2] + round(cost * MICRO)
        latency = _mapping(record.get("latency_ms"))
        total = latency.get("total")
        if (
            isinstance(total, (int, float))
            and not isinstance(total, bool)
            and math.isfinite(total)
            and total >= 0
        ):
            histogram.add(self.latency, float(total))
            self.latency_sum_ms += float(total)

    def merge(self, other: Stats) -> None:
        self.calls += other.calls
        self.ok += other.ok
        self.errors += other.errors
        _add_counts(self.error_codes, other.error_codes)
        self.rejected += other.rejected
        _add_counts(self.rejected_codes, other.rejected_codes)
        _add_counts(self.cache, other.cache)
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.tokens_used += other.tokens_used
        histogram.merge_into(self.latency, other.latency)
        self.latency_sum_ms += other.latency_sum_ms
        self.cost_cny += other.cost_cny
        self.unpriced_calls += other.unpriced_calls
        self.unpriced_tokens += other.unpriced_tokens
        for name, (calls, used, micro) in other.users.items():
            mine = self.users.setdefault(name, [0, 0, 0])
            mine[0], mine[1], mine[2] = mine[0] + calls, mine[1] + used, mine[2] + micro

    # -- storage (roll-up files) --------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "ok": self.ok,
            "errors": self.errors,
            "error_codes": dict(self.error_codes),
            "rejected": self.rejected,
            "rejected_codes": dict(self.rejected_codes),
            "cache": dict(self.cache),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens_used": self.tokens_used,
            "latency_hist": histogram.to_json(self.latency),
            "latency_sum_ms": round(self.latency_sum_ms, 3),
            "cost_cny": round(self.cost_cny, 6),
            "unpriced_calls": self.unpriced_calls,
            "unpriced_tokens": self.unpriced_tokens,
            "users": {name: list(v) for name, v in self.users.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Stats:
        return cls(
            calls=int(raw["calls"]),
            ok=int(raw["ok"]),
            errors=int(raw["errors"]),
            error_codes={str(k): int(v) for k, v in raw.get("error_codes", {}).items()},
            rejected=int(raw.get("rejected", 0)),
            rejected_codes={str(k): int(v) for k, v in raw.get("rejected_codes", {}).items()},
            cache={str(k): int(v) for k, v in raw.get("cache", {}).items()},
            input_tokens=int(raw.get("input_tokens", 0)),
            output_tokens=int(raw.get("output_tokens", 0)),
            tokens_used=int(
                raw.get("tokens_used", int(raw.get("input_tokens", 0)) + int(raw.get("output_tokens", 0)))
            ),
            latency=histogram.from_json(raw.get("latency_hist")),
            latency_sum_ms=float(raw.get("latency_sum_ms", 0.0)),
            cost_cny=float(raw.get("cost_cny", 0.0)),
            unpriced_calls=int(raw.get("unpriced_calls", 0)),
            unpriced_tokens=int(raw.get("unpriced_tokens", 0)),
            users={
                str(k): [int(x) for x in v][:3]
                for k, v in (raw.get("users") or {}).items()
                if isinstance(v, list) and len(v) == 3
            },
        )

    # -- presentation (the dashboard) ---------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """What the dashboard shows: rates and percentiles derived from the additive parts."""
        measured = sum(self.latency.values())
        hits = sum(self.cache.get(state, 0) for state in SERVED_FROM_CACHE)
        return {
            "calls": self.calls,
            "ok": self.ok,
            "errors": self.errors,
            "error_codes": dict(sorted(self.error_codes.items())),
            "rejected": self.rejected,
            "rejected_codes": dict(sorted(self.rejected_codes.items())),
            "cache": {state: self.cache.get(state, 0) for state in _states(self.cache)},
            "cache_hit_rate": round(hits / self.calls, 4) if self.calls else None,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens_used": self.tokens_used,
            "cost_cny": round(self.cost_cny, 4),
            "unpriced_calls": self.unpriced_calls,
            "unpriced_tokens": self.unpriced_tokens,
            "latency_ms": {
                "count": measured,
                "p50": histogram.percentile(self.latency, 0.50),
                "p95": histogram.percentile(self.latency, 0.95),
                "mean": round(self.latency_sum_ms / measured, 2) if measured else None,
            },
        }


def _states(cache: Mapping[str, int]) -> list[str]:
    """The five known cache states always, in a fixed order, then any unexpected ones seen."""
    return [*CACHE_STATES, *sorted(k for k in cache if k not in CACHE_STATES)]


def _add_counts(target: dict[str, int], source: Mapping[str, int]) -> None:
    for key, count in source.items():
        target[key] = target.get(key, 0) + count


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _number(value: Any) -> float:
    ok = (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )
    return float(value) if ok else 0.0


def by_user(stats: Stats) -> dict[str, dict[str, Any]]:
    """The dashboard's per-user view of ``stats``: calls, tokens and ¥ of each ``sub``."""
    return {
        name: {"calls": calls, "tokens_used": used, "cost_cny": round(micro / MICRO, 4)}
        for name, (calls, used, micro) in sorted(stats.users.items())
    }
