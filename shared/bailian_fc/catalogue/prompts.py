"""What every prompt is made of: :class:`Prompt` and the formatting the app modules share.

Each app's builder lives in its module (``catalogue/apps/``) next to its prompt version; changing
a template's wording means bumping that version, which also moves its cache namespace. Golden
files in ``tests/golden/`` pin the exact text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Prompt:
    text: str
    biz_params: dict[str, Any] | None = None


JSON_ONLY = "只输出一个 JSON 对象，不要使用 Markdown 代码块，不要输出其他文字。"

RANGE_LABELS = {
    "today": "今日",
    "yesterday": "昨日",
    "last_7_days": "近7天",
    "this_week": "本周",
    "last_week": "上周",
    "this_month": "本月",
    "last_month": "上月",
    "last_30_days": "近30天",
}


def json_block(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False)


def rows(items: list[dict[str, Any]]) -> str:
    """One compact JSON object per line: long histories stay readable and cheap in tokens."""
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in items) or "（无）"


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def customer_facts(profile: dict[str, Any]) -> str:
    """The customer and a summary of their visits: the common head of the by-id prompts."""
    visits = profile.get("visits") or []
    spend = round(sum(v["spend"] for v in visits), 2)
    last = visits[-1]["business_date"] if visits else "无"
    return f"""客户（截至营业日 {profile["business_date"]}）：
{json_block(profile["customer"])}
到店：最近 {len(visits)} 次，消费合计 {fmt(spend)} 元，最近一次 {last}"""


def staff_names(profile: dict[str, Any]) -> str:
    return "、".join(f"{s['name']}（{s['role']}）" for s in profile.get("staff") or []) or "未分配"


def interactions(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Every follow-up and note on the customer's clues, by date, with the clue's category."""
    found = [
        {
            "business_date": f["business_date"],
            "clue": r["clue"]["category"],
            **{k: f[k] for k in ("kind", "channel", "content")},
        }
        for r in profile.get("clues") or []
        for f in r["follow_ups"]
    ]
    return sorted(found, key=lambda x: x["business_date"])
