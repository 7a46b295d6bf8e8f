"""Output models: what each single-turn app must return, validated on every reply.

These are the contracts the miniprogram and admin web render; ``export-types`` publishes
them. Field names follow the catalogue's contract (docs/contracts.md, docs/apps.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Output(BaseModel):
    # Models add keys over time; ignoring extras keeps a harmless extra field from
    # failing a whole reply, while required fields and types are still enforced.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Insight(_Output):
    title: str = Field(min_length=1)
    detail: str = Field(min_length=1)
    level: Literal["info", "positive", "warning", "critical"]


class FinanceInsight(_Output):
    """app2_finance: board-finance insight."""

    # A bare list of insights is wrapped as {"insights": [...]}, so summary may be empty.
    summary: str = ""
    insights: list[Insight]
    suggestions: list[str] = []


class FinanceDigest(_Output):
    """app2a_finance_digest: one-line headline for the board."""

    headline: str = Field(min_length=1, max_length=200)
    tone: Literal["positive", "neutral", "negative"]


class ClueDetail(_Output):
    """app3_clue_detail: full detail of a customer lead."""

    profile_summary: str = Field(min_length=1)
    key_facts: list[str]
    intent_level: Literal["high", "medium", "low"]
    follow_ups: list[str]
    risk_flags: list[str] = []


class Relationship(_Output):
    """app4_relationship: staff–customer relationship analysis."""

    score: int = Field(ge=0, le=100)
    summary: str = Field(min_length=1)
    highlights: list[str]
    next_actions: list[str]


class Tactics(_Output):
    """app5_tactics: conversation tactics for a follow-up."""

    openers: list[str] = Field(min_length=1)
    talking_points: list[str]
    avoid: list[str] = []


class Clue(_Output):
    category: str = Field(min_length=1)
    content: str = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)


class NoteAnalysis(_Output):
    """app6_note_analysis: leads extracted from a staff note."""

    clues: list[Clue]
    sentiment: Literal["positive", "neutral", "negative"]
    tags: list[str] = []


class CustomerInsight(_Output):
    """app7_customer_insight: segment and churn risk."""

    segment: str = Field(min_length=1)
    churn_risk: Literal["high", "medium", "low"]
    reasons: list[str]
    recommendations: list[str]


class ClueConsolidation(_Output):
    """app8_clue_consolidation: a customer's leads merged and deduplicated."""

    merged: list[Clue]
    removed_duplicates: int = Field(ge=0)
    summary: str = Field(min_length=1)


OUTPUT_MODELS: dict[str, type[BaseModel]] = {
    "app2_finance": FinanceInsight,
    "app2a_finance_digest": FinanceDigest,
    "app3_clue_detail": ClueDetail,
    "app4_relationship": Relationship,
    "app5_tactics": Tactics,
    "app6_note_analysis": NoteAnalysis,
    "app7_customer_insight": CustomerInsight,
    "app8_clue_consolidation": ClueConsolidation,
}

APP_KEYS: tuple[str, ...] = ("app1_chat", *OUTPUT_MODELS)
