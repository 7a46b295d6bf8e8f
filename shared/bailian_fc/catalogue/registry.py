"""The app catalogue: the single source of app types.

Backend, admin web and miniprogram align on this registry: ``GET /apps`` lists it and
``bailian-fc export-types`` publishes its JSON Schema and TypeScript types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from . import inputs as i
from . import outputs as o
from . import prompts as p
from .chat import ChatRequest

STAFF_UP = ("staff", "manager", "admin", "service")
MANAGERS = ("manager", "admin", "service")


@dataclass(frozen=True)
class AppSpec:
    key: str
    title: str
    mode: Literal["stream", "single"]
    input_model: type[BaseModel]
    output_model: type[BaseModel] | None
    prompt: Callable[[Any, Any], p.Prompt] | None
    prompt_version: str
    roles: tuple[str, ...] = STAFF_UP
    bare_list_field: str | None = None
    fresh_seconds: int = 3600  # served from cache without asking Bailian
    stale_seconds: int = 24 * 3600  # served only when Bailian fails

    @property
    def app_id_setting(self) -> str:
        return f"BAILIAN_APP_ID_{self.key.upper()}"

    def describe(self, configured: bool) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "mode": self.mode,
            "prompt_version": self.prompt_version,
            "roles": list(self.roles),
            "app_id_setting": self.app_id_setting,
            "configured": configured,
        }


CATALOGUE: dict[str, AppSpec] = {
    spec.key: spec
    for spec in (
        AppSpec("app1_chat", "智能助手对话", "stream", ChatRequest, None, None, "v1"),
        AppSpec(
            "app2_finance",
            "董事会财务洞察",
            "single",
            i.FinanceFilter,
            o.FinanceInsight,
            p.finance_insight,
            "v6",
            roles=MANAGERS,
            bare_list_field="insights",
            fresh_seconds=6 * 3600,
        ),
        AppSpec(
            "app2a_finance_digest",
            "财务洞察一句话标题",
            "single",
            i.FinanceFilter,
            o.FinanceDigest,
            p.finance_digest,
            "v1",
            roles=MANAGERS,
            fresh_seconds=6 * 3600,
        ),
        AppSpec("app3_clue_detail", "线索详情", "single", i.ClueRef, o.ClueDetail, p.clue_detail, "v2"),
        AppSpec(
            "app4_relationship",
            "客情关系分析",
            "single",
            i.CustomerRef,
            o.Relationship,
            p.relationship,
            "v2",
        ),
        AppSpec("app5_tactics", "跟进话术", "single", i.TacticsInput, o.Tactics, p.tactics, "v2"),
        AppSpec(
            "app6_note_analysis", "笔记线索提取", "single", i.NoteInput, o.NoteAnalysis, p.note_analysis, "v1"
        ),
        AppSpec(
            "app7_customer_insight",
            "客户分层与流失风险",
            "single",
            i.CustomerRef,
            o.CustomerInsight,
            p.customer_insight,
            "v2",
        ),
        AppSpec(
            "app8_clue_consolidation",
            "线索合并去重",
            "single",
            i.CustomerRef,
            o.ClueConsolidation,
            p.clue_consolidation,
            "v2",
        ),
    )
}

SINGLE_TURN = tuple(k for k, spec in CATALOGUE.items() if spec.mode == "single")
