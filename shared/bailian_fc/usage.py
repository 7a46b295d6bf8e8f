"""Token usage, per model, summed over every attempt of a call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Usage:
    models: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def input_tokens(self) -> int:
        return sum(m["input_tokens"] for m in self.models.values())

    @property
    def output_tokens(self) -> int:
        return sum(m["output_tokens"] for m in self.models.values())

    def add(self, model_id: str, input_tokens: int, output_tokens: int) -> None:
        slot = self.models.setdefault(model_id, {"input_tokens": 0, "output_tokens": 0})
        slot["input_tokens"] += int(input_tokens or 0)
        slot["output_tokens"] += int(output_tokens or 0)

    def add_wire(self, usage: Mapping[str, Any] | None) -> None:
        """Add one reply's ``usage``: ``{"models": [...]}`` or the flat ``input_tokens``/``output_tokens`` shapes."""
        if not usage:
            return
        models = usage.get("models") or []
        for m in models:
            if isinstance(m, Mapping):
                self.add(str(m.get("model_id") or "unknown"), m.get("input_tokens") or 0, m.get("output_tokens") or 0)
        if not models and ("input_tokens" in usage or "output_tokens" in usage):
            self.add("unknown", usage.get("input_tokens") or 0, usage.get("output_tokens") or 0)

    def merge(self, other: Usage) -> None:
        for model_id, m in other.models.items():
            self.add(model_id, m["input_tokens"], m["output_tokens"])

    def as_dict(self) -> dict[str, Any]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "models": self.models}
