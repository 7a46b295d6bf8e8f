"""What a call cost, in ¥, from the price table in settings (``BAILIAN_PRICE_<MODEL>_INPUT/OUTPUT``,
¥ per 1,000 tokens).

A model is priced when both of its prices are set. Tokens of any other model (one the table does not
list, one whose prices are unset, ``unknown``, or a reply that gave only ``total_tokens``) cost 0 and
are counted as ``unpriced_tokens``: a cost is never guessed. To price a new model, add its two
fields to ``settings.py`` and to :func:`price_table`, then to s.yaml and .env.example
(docs/operations.md, "Cost and budgets").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..settings import Settings


@dataclass(frozen=True)
class Price:
    input: float  # ¥ per 1,000 input tokens
    output: float


def price_table(s: Settings) -> dict[str, Price]:
    """The priced models: each listed with its two settings (so a setting is never read by name)."""
    given = {
        "qwen-max": (s.bailian_price_qwen_max_input, s.bailian_price_qwen_max_output),
        "qwen-plus": (s.bailian_price_qwen_plus_input, s.bailian_price_qwen_plus_output),
        "qwen-turbo": (s.bailian_price_qwen_turbo_input, s.bailian_price_qwen_turbo_output),
        "qwen-flash": (s.bailian_price_qwen_flash_input, s.bailian_price_qwen_flash_output),
        "qwen-long": (s.bailian_price_qwen_long_input, s.bailian_price_qwen_long_output),
    }
    return {model: Price(i, o) for model, (i, o) in given.items() if i is not None and o is not None}


@dataclass(frozen=True)
class Cost:
    cost_cny: float
    unpriced_tokens: int
    model: str | None  # the model that used the most tokens (``tokens.models`` has them all)

    def fields(self) -> dict[str, Any]:
        return {"cost_cny": self.cost_cny, "unpriced_tokens": self.unpriced_tokens, "model": self.model}


def cost_of(tokens: Mapping[str, Any] | None, prices: Mapping[str, Price]) -> Cost:
    """The cost of one call's usage (``{"models": {id: {input_tokens, output_tokens}}, "tokens_used"}``)."""
    tokens = tokens or {}
    models = tokens.get("models") if isinstance(tokens.get("models"), Mapping) else {}
    assert isinstance(models, Mapping)
    total, unpriced, split = 0.0, 0, 0
    heaviest: tuple[int, str] | None = None
    for model_id, used in models.items():
        tin = count(used.get("input_tokens")) if isinstance(used, Mapping) else 0
        tout = count(used.get("output_tokens")) if isinstance(used, Mapping) else 0
        split += tin + tout
        if heaviest is None or tin + tout > heaviest[0]:
            heaviest = (tin + tout, str(model_id))
        price = prices.get(str(model_id))
        if price is None:
            unpriced += tin + tout
        else:
            total += (tin * price.input + tout * price.output) / 1000
    unpriced += max(0, count(tokens.get("tokens_used")) - split)  # total-only replies: no split, no price
    return Cost(round(total, 6), unpriced, heaviest[1] if heaviest else None)


def count(value: Any) -> int:
    """A token count as the run log stores it (usage.py already cleaned it): else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
