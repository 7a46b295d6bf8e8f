"""App7, a customer's segment and churn risk, from their profile (``catalogue/customer.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..customer import customer_meta, customer_view, no_history
from ..inputs import CustomerRef
from ..outputs import Output
from ..prompts import JSON_ONLY, Prompt, customer_facts, fmt, rows
from ..spec import AppSpec


class CustomerInsight(Output):
    """app7_customer_insight: segment and churn risk."""

    segment: str = Field(min_length=1)
    churn_risk: Literal["high", "medium", "low"]
    reasons: list[str]
    recommendations: list[str]


def prompt(data: CustomerRef, profile: dict[str, Any]) -> Prompt:
    """app7_customer_insight v2: from the customer profile the backend loaded."""
    customer, purchases = profile["customer"], profile.get("purchases") or []
    total = round(sum(p["amount"] for p in purchases), 2)
    balance = customer.get("balance")
    text = f"""根据到店与消费记录判断客户分层和流失风险。
{customer_facts(profile)}
入会日期：{customer["registered_date"]}；会员等级：{customer.get("member_level") or "非会员"}；储值余额：{"未知" if balance is None else fmt(balance)}
到店记录：
{rows(profile.get("visits") or [])}
消费明细（最近 {len(purchases)} 笔，合计 {fmt(total)} 元）：
{rows(purchases)}

{JSON_ONLY}格式：{{"segment": "…", "churn_risk": "medium", "reasons": ["…"], "recommendations": ["…"]}}"""
    return Prompt(text)


SPEC = AppSpec(
    "app7_customer_insight",
    "客户分层与流失风险",
    "single",
    CustomerRef,
    CustomerInsight,
    prompt,
    "v2",
    context=customer_view,
    meta=customer_meta,
    no_data=no_history,
)
