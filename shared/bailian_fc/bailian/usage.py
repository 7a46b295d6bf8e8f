"""Token usage, per model, summed over every attempt of a call.

``tokens_used`` follows the rule of the system this replaces, per reply: the sum of
``input_tokens + output_tokens`` over ``usage.models``; else ``total_tokens``; else
``input_tokens + output_tokens``. A ``total_tokens`` that is missing, null or not a number does not
count as given: ``{"total_tokens": null, "input_tokens": 5, "output_tokens": 7}`` is 12. Numbers may
arrive as numeric strings (``"3"`` counts 3). Any other missing or non-numeric value counts as 0
(never an error: a strange usage block must not fail an answer that was already given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def number(value: Any) -> int | None:
    """A token count from the wire, or None when ``value`` is not one.

    Finite numbers and numeric strings (``"3"``, ``" 4.0 "``) count, clamped at 0; booleans,
    null, NaN/infinity and other text do not.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 32:  # a count is short; a long string is not one
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return max(0, int(value))


def count(value: Any) -> int:
    """A token count from the wire: a finite, non-negative number (or numeric string), else 0."""
    return number(value) or 0


@dataclass
class Usage:
    models: dict[str, dict[str, int]] = field(default_factory=dict)
    total_only: int = 0  # replies that reported only total_tokens (no split into input and output)

    @property
    def input_tokens(self) -> int:
        return sum(m["input_tokens"] for m in self.models.values())

    @property
    def output_tokens(self) -> int:
        return sum(m["output_tokens"] for m in self.models.values())

    @property
    def tokens_used(self) -> int:
        return self.input_tokens + self.output_tokens + self.total_only

    def add(self, model_id: str, input_tokens: Any, output_tokens: Any) -> None:
        slot = self.models.setdefault(model_id, {"input_tokens": 0, "output_tokens": 0})
        slot["input_tokens"] += count(input_tokens)
        slot["output_tokens"] += count(output_tokens)

    def add_wire(self, usage: Any) -> None:
        """Add one reply's ``usage`` by the rule in the module docstring."""
        if not isinstance(usage, Mapping) or not usage:
            return
        models = usage.get("models")
        entries = [m for m in models if isinstance(m, Mapping)] if isinstance(models, list) else []
        if entries:
            for m in entries:
                self.add(str(m.get("model_id") or "unknown"), m.get("input_tokens"), m.get("output_tokens"))
        elif (total := number(usage.get("total_tokens"))) is not None:
            self.total_only += total
        elif "input_tokens" in usage or "output_tokens" in usage:
            self.add("unknown", usage.get("input_tokens"), usage.get("output_tokens"))

    def merge(self, other: Usage) -> None:
        for model_id, m in other.models.items():
            self.add(model_id, m["input_tokens"], m["output_tokens"])
        self.total_only += other.total_only

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens_used": self.tokens_used,
            "models": self.models,
        }
