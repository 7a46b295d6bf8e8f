"""Job kinds: which handler a job runs and the payload that handler accepts.

A job's ``kind`` (its name for the seeded jobs) selects the prewarm function's handler, so an admin
can create a second job of a kind (another schedule, another payload) under a new name. Each kind
declares its payload as a pydantic model: the admin API validates a payload against it before
anything is saved, so a typo in a payload is a 400 at edit time, not a failed run at 07:30.
Titles and descriptions are Chinese first: the console shows them to venue operators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..clock import SITE_ID_PATTERN


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoPayload(_Payload):
    """This kind takes no payload fields."""


class App2PrewarmPayload(_Payload):
    """What an App2 prewarm run computes; every field optional (the default: every site, both apps)."""

    apps: list[Literal["app2_finance", "app2a_finance_digest"]] | None = Field(
        default=None,
        min_length=1,
        max_length=2,
        title="应用 Apps",
        description="只预热这些应用；留空 = 两个都预热",
    )
    site_id: str | None = Field(
        default=None,
        pattern=SITE_ID_PATTERN,
        title="门店 Site",
        description="只预热这个门店；留空 = 全部门店",
    )
    force: bool = Field(default=False, title="强制重算 Force", description="忽略缓存，全部重新生成")


@dataclass(frozen=True)
class JobKind:
    key: str
    title: str
    description: str
    payload: type[BaseModel]

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.key,
            "title": self.title,
            "description": self.description,
            "payload_schema": self.payload.model_json_schema(),
        }


JOB_KINDS: dict[str, JobKind] = {
    k.key: k
    for k in (
        JobKind(
            "app2_prewarm",
            "App2 财务洞察预热",
            "营业日开始前，为每个门店的每个筛选条件预先生成财务洞察。",
            App2PrewarmPayload,
        ),
        JobKind("runlog_rollup", "运行日志汇总", "把已结束的小时的运行日志汇总，供仪表盘使用。", NoPayload),
        JobKind(
            "cache_housekeeping",
            "缓存清理",
            "删除超过过期窗口的缓存和早已过期的租约（闲时运行）。",
            NoPayload,
        ),
    )
}

KindName = Literal["app2_prewarm", "runlog_rollup", "cache_housekeeping"]


def validate_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the kind's model accepts it, strictly (``force: "true"`` or ``1`` is refused, as
    the request bodies around it are); pydantic's ValidationError when it does not fit; KeyError for
    an unknown kind. Validated as JSON, since that is what a payload is."""
    model = JOB_KINDS[kind].payload
    raw = json.dumps(payload, allow_nan=False)  # the payload came through the bounded parser
    return model.model_validate_json(raw, strict=True).model_dump(mode="json", exclude_defaults=True)
