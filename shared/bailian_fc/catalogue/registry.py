"""The app catalogue: the single source of app types, one line per app module.

Backend, admin web and miniprogram align on this registry: ``GET /apps`` lists it, ``POST
/apps/{key}`` routes by it, housekeeping judges cache entries by its windows, and ``bailian-fc
export-types`` publishes its JSON Schema and TypeScript types. Everything is derived from
``CATALOGUE`` when it is read, so a spec added to it (a new module's line, or a test's) is picked up
everywhere. Adding an app: docs/architecture.md, "Adding App9".
"""

from __future__ import annotations

from .apps import (
    app1_chat,
    app2_finance,
    app2a_finance_digest,
    app3_clue_detail,
    app4_relationship,
    app5_tactics,
    app6_note_analysis,
    app7_customer_insight,
    app8_clue_consolidation,
)
from .spec import MANAGERS, STAFF_UP, AppSpec

__all__ = ["CATALOGUE", "MANAGERS", "STAFF_UP", "AppSpec", "app_keys", "output_models", "single_turn"]

CATALOGUE: dict[str, AppSpec] = {
    spec.key: spec
    for spec in (
        app1_chat.SPEC,
        app2_finance.SPEC,
        app2a_finance_digest.SPEC,
        app3_clue_detail.SPEC,
        app4_relationship.SPEC,
        app5_tactics.SPEC,
        app6_note_analysis.SPEC,
        app7_customer_insight.SPEC,
        app8_clue_consolidation.SPEC,
    )
}


def app_keys() -> tuple[str, ...]:
    return tuple(CATALOGUE)


def single_turn() -> tuple[str, ...]:
    return tuple(k for k, spec in CATALOGUE.items() if spec.mode == "single")


def output_models() -> dict[str, type]:
    """Each single-turn app's output model (what the emulator answers with)."""
    return {k: spec.output_model for k, spec in CATALOGUE.items() if spec.output_model is not None}
