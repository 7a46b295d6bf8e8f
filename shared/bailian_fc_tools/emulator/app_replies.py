"""The emulated structured apps' replies (App2–App8): JSON that validates against the app's output
model, built from the figures and records in the prompt (``prompt_facts.py``) so a demo never
contradicts its own numbers or names; what the prompt does not say is varied by the prompt's hash.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from .prompt_facts import PromptFacts, trend_text, yuan

# -- structured apps ------------------------------------------------------------------------

_NAMES = ("王先生", "李女士", "张先生", "刘女士", "陈先生", "赵女士", "周先生", "吴女士")
_CLUE_POOL: tuple[tuple[str, str], ...] = (
    ("会员意向", "询问了充1000元送150元的会员档位，表示下次来店时考虑办理"),
    ("包厢需求", "计划周六晚上带6位同事来团建，需要一间带斯诺克台的包厢"),
    ("教练课兴趣", "孩子12岁，想报周末的青少年教练课，关心课程时间安排"),
    ("价格敏感", "觉得晚上的台费偏高，多次询问工作日下午的优惠时段"),
    ("投诉反馈", "反映3号台的台呢有磨损，影响走位，希望尽快更换"),
    ("活动偏好", "对月度八球积分赛很感兴趣，想了解报名费和奖品设置"),
    ("夜场偏好", "经常周五夜场来打球，希望夜场套餐能加一份小吃"),
    ("消费习惯", "每周来店2到3次，通常选择中式八球台，单次约3小时"),
)


def _clues(rng: random.Random, n: int) -> list[dict[str, Any]]:
    return [
        {"category": cat, "content": content, "confidence": round(rng.uniform(0.55, 0.97), 2)}
        for cat, content in rng.sample(_CLUE_POOL, n)
    ]


def _finance(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    if facts.revenue is not None:
        return _finance_from_figures(rng, facts)
    revenue = rng.randrange(38000, 96000, 100)
    change = rng.randint(-18, 25)
    night_share = rng.randint(28, 46)
    member_share = rng.randint(35, 62)
    insights_pool = [
        {
            "title": "夜场贡献提升" if change >= 0 else "夜场收入回落",
            "detail": f"夜场（22点后）台费占本周营收的{night_share}%，周五、周六两晚贡献最大。",
            "level": "positive" if change >= 0 else "warning",
        },
        {
            "title": "会员储值占比",
            "detail": f"会员卡消费占营收{member_share}%，本周新增会员{rng.randint(6, 31)}人，"
            f"其中充1000元档位最受欢迎。",
            "level": "info",
        },
        {
            "title": "工作日下午空台率高",
            "detail": f"周一至周四14点到17点平均开台率仅{rng.randint(18, 39)}%，球台闲置明显。",
            "level": "warning",
        },
        {
            "title": "包厢收入增长",
            "detail": f"包厢本周开台{rng.randint(20, 58)}次，收入环比增长{rng.randint(5, 30)}%，团建预订增多。",
            "level": "positive",
        },
        {
            "title": "教练课续费下滑",
            "detail": f"教练课续费率降至{rng.randint(35, 55)}%，低于上月，需关注学员体验。",
            "level": "critical" if rng.random() < 0.3 else "warning",
        },
    ]
    return {
        "summary": f"本周营收{revenue}元，{trend_text(float(change))}，夜场和会员消费是主要来源。",
        "insights": rng.sample(insights_pool, rng.randint(2, 3)),
        "suggestions": rng.sample(_FINANCE_SUGGESTIONS, 2),
    }


_FINANCE_SUGGESTIONS = [
    "工作日下午推出学生价或两小时套餐，提升空闲时段开台率",
    "在会员日对充值1000元以上的会员赠送包厢体验券",
    "夜场增加饮料小吃组合套餐，提高客单价",
    "对教练课老学员做一次回访，了解续费顾虑",
    "周末晚高峰开放小程序排队叫号，减少流失",
]


def _level(pct: float | None) -> str:
    return "info" if pct is None or abs(pct) < 1 else ("positive" if pct > 0 else "warning")


def _finance_from_figures(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    """App2 from the prompt's own figures: the period's revenue and change, its best and worst area."""
    label = facts.period or "本期"
    assert facts.revenue is not None
    if facts.days_with_data == 0:
        return {"summary": f"{label}没有营业数据，暂无可解读的经营情况。", "insights": [], "suggestions": []}
    trend = trend_text(facts.change_pct)
    insights = [
        {
            "title": f"{label}营收{trend}",
            "detail": f"{label}营业收入{yuan(facts.revenue)}元，{trend}。",
            "level": _level(facts.change_pct),
        },
    ]
    compared = [a for a in facts.areas if a.change_pct is not None]
    if compared:
        best = max(compared, key=lambda a: a.change_pct or 0.0)
        worst = min(compared, key=lambda a: a.change_pct or 0.0)
        insights.append(
            {
                "title": f"{best.name}表现最好",
                "detail": f"{best.name}营收{yuan(best.revenue)}元，{trend_text(best.change_pct)}。",
                "level": _level(best.change_pct),
            }
        )
        if worst is not best:
            insights.append(
                {
                    "title": f"{worst.name}需关注"
                    if (worst.change_pct or 0) < 0
                    else f"{worst.name}增长最慢",
                    "detail": f"{worst.name}营收{yuan(worst.revenue)}元，{trend_text(worst.change_pct)}。",
                    "level": _level(worst.change_pct),
                }
            )
    top = max(facts.areas, key=lambda a: a.revenue) if facts.areas else None
    tail = f"，{top.name}贡献最多（{yuan(top.revenue)}元）" if top else ""
    return {
        "summary": f"{label}营收{yuan(facts.revenue)}元，{trend}{tail}。",
        "insights": insights,
        "suggestions": rng.sample(_FINANCE_SUGGESTIONS, 2),
    }


_DIGEST = re.compile(
    r"营收([\d,]+)元，(环比增长|环比下降)(\d+(?:\.\d+)?)%|营收([\d,]+)元，(与对比期持平|对比期无数据)"
)


def _finance_digest(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    found = _DIGEST.search(facts.insight_summary or "")
    if found:  # App2's own summary for the same filter: the same revenue, sign and percentage
        if found.group(1):
            pct = float(found.group(3)) * (1 if found.group(2) == "环比增长" else -1)
            tone = "positive" if pct > 3 else ("negative" if pct < -3 else "neutral")
            headline = f"{facts.period or '本期'}营收{found.group(1)}元，{found.group(2)}{found.group(3)}%"
        else:
            tone, headline = "neutral", f"{facts.period or '本期'}营收{found.group(4)}元，{found.group(5)}"
        return {"headline": headline[:40], "tone": tone}
    if facts.insight_summary and "没有营业数据" in facts.insight_summary:
        return {"headline": f"{facts.period or '本期'}没有营业数据", "tone": "neutral"}
    revenue = rng.randrange(38000, 96000, 100)
    change = rng.randint(-15, 22)
    if change > 3:
        tone, trend = "positive", f"环比增长{change}%"
    elif change < -3:
        tone, trend = "negative", f"环比下降{-change}%"
    else:
        tone, trend = "neutral", "与上周基本持平"
    tail = rng.choice(("夜场贡献近四成", "会员储值表现稳健", "包厢预订明显增多", "工作日下午仍有空台"))
    return {"headline": f"本周营收{revenue}元，{trend}，{tail}", "tone": tone}


def _clue_detail(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    name = facts.name or rng.choice(_NAMES)
    facts_pool = [
        "常在周五晚上和朋友一起来，一般开3小时以上",
        "曾咨询过包厢团建价格",
        "上个月上过一节教练体验课",
        "对价格比较敏感，多次使用优惠时段",
    ]
    known = [f"{cat}：{content}" for cat, content in facts.clues[:1]]
    if facts.visits is not None and facts.spend is not None:
        known.append(f"最近到店{facts.visits}次，消费合计{yuan(facts.spend)}元")
    follow_pool = [
        "周四前发送周末包厢预约提醒",
        "邀请参加本月八球积分赛",
        "介绍充1000元送150元的会员活动",
        "推荐教练进阶课程并赠送一次体验",
        "回访上次提出的球台维护意见",
    ]
    risks_pool = ["近两周到店频次下降", "曾对台费涨价表示不满", "附近新开了一家球房"]
    topic = f"，关注{facts.clues[0][0]}" if facts.clues else ""
    return {
        "profile_summary": f"{name}，{rng.choice(('老会员', '新客户', '活跃散客'))}{topic}，"
        f"{rng.choice(('喜欢夜场打球', '多在工作日下午来店', '常带朋友来聚会'))}。",
        "key_facts": (known + rng.sample(facts_pool, 3))[:3],
        "intent_level": rng.choice(("high", "medium", "low")),
        "follow_ups": rng.sample(follow_pool, 2),
        "risk_flags": rng.sample(risks_pool, rng.randint(0, 1)),
    }


def _relationship(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    score = rng.randint(38, 96)
    level = "关系稳固" if score >= 75 else ("关系一般" if score >= 55 else "关系偏弱")
    name = facts.name or rng.choice(_NAMES)
    talks = (
        f"店里共有{len(facts.clues)}条关于客户的线索"
        if facts.clues
        else f"近一个月沟通{rng.randint(2, 12)}次"
    )
    return {
        "score": score,
        "summary": f"店员与{name}互动{level}，{talks}，客户对服务{rng.choice(('满意', '基本满意', '有一些意见'))}。",
        "highlights": rng.sample(
            [
                "店员记得客户偏好的球杆和球台",
                "上次生日主动赠送了两小时台费",
                "客户多次在群里推荐朋友来店",
                "及时处理了客户对台呢的反馈",
                "每次预约都能快速确认",
            ],
            2,
        ),
        "next_actions": rng.sample(
            [
                "本周内私信告知会员日充值优惠",
                "邀请客户参加周末积分赛",
                "为客户预留周五晚上的固定球台",
                "回访教练课体验感受",
            ],
            2,
        ),
    }


def _tactics(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    name = facts.name or "您"
    openers = [
        f"{name}，好久没见您来打球了，最近工作忙吧？",
        f"{name}，您上次说想带朋友来包厢，这周末正好有空位哦。",
        f"{name}，本周会员日充值有加赠，第一时间告诉您一声。",
        f"{name}，新到了几支碳纤维球杆，您来试试手感？",
    ]
    points = rng.sample(
        [
            "会员充1000元送150元，台费再享8.5折",
            "周五夜场套餐含饮料，比单点划算",
            "包厢可以免费提供团建记分服务",
            "教练进阶课可以分次使用，有效期三个月",
            "小程序预约可以锁定常用球台",
        ],
        3,
    )
    if facts.goal:
        points = [f"围绕本次目标“{facts.goal[:30]}”展开", *points[:2]]
    return {
        "openers": rng.sample(openers, 2),
        "talking_points": points,
        "avoid": rng.sample(
            ["不要一开口就推销充值", "避免提及客户上次的投诉细节", "不要在客户打球时长时间打扰"],
            rng.randint(1, 2),
        ),
    }


# A note's topics by keyword: the category a clue about it gets.
_NOTE_TOPICS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("包厢", "包间", "团建"), "包厢需求", "团建需求"),
    (("会员", "充值", "办卡"), "会员意向", "会员潜客"),
    (("教练", "课"), "教练课兴趣", "教练课"),
    (("夜场", "通宵"), "夜场偏好", "夜场常客"),
    (("贵", "优惠", "便宜", "价格"), "价格敏感", "价格敏感"),
    (("投诉", "坏", "不满", "磨损"), "投诉反馈", "投诉"),
)


def _note_analysis(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    if not facts.note:
        return {
            "clues": _clues(rng, rng.randint(1, 3)),
            "sentiment": rng.choice(("positive", "neutral", "negative")),
            "tags": rng.sample(["夜场常客", "团建需求", "会员潜客", "价格敏感", "教练课", "学生"], 2),
        }
    parts = [p.strip() for p in re.split(r"[，。,.;；！!？?\n]", facts.note) if p.strip()]
    clues: list[dict[str, Any]] = []
    tags: list[str] = []
    for keywords, category, tag in _NOTE_TOPICS:
        said = next((p for p in parts if any(k in p for k in keywords)), None)
        if said and len(clues) < 3:
            clues.append(
                {"category": category, "content": said[:80], "confidence": round(rng.uniform(0.7, 0.95), 2)}
            )
            tags.append(tag)
    if not clues:
        clues = [{"category": "其他", "content": (parts[0] if parts else facts.note)[:80], "confidence": 0.6}]
    negative = any(k in facts.note for k in ("投诉", "不满", "坏", "贵"))
    return {
        "clues": clues,
        "sentiment": "negative" if negative else "positive" if len(tags) >= 2 else "neutral",
        "tags": tags,
    }


def _customer_insight(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    risk = rng.choice(("high", "medium", "low"))
    reasons = {
        "high": ["会员余额已用完且未续充", "曾反馈高峰期等台时间长"],
        "medium": ["到店频次较上月下降", "最近只在优惠时段消费", "对夜场价格有异议"],
        "low": ["每周稳定到店2次以上", "会员余额充足", "经常带新朋友来店"],
    }[risk]
    picked = rng.sample(reasons, 2)
    if facts.visits is not None and facts.spend is not None:
        picked = [f"最近到店{facts.visits}次，消费合计{yuan(facts.spend)}元", picked[0]]
    return {
        "segment": rng.choice(("高价值会员", "夜场常客", "周末聚会客", "价格敏感型散客", "教练课学员")),
        "churn_risk": risk,
        "reasons": picked,
        "recommendations": rng.sample(
            [
                "发送两小时免费台费券唤回到店",
                "邀请参加会员专属积分赛",
                "推荐适合的充值档位并说明折扣",
                "高峰期为其优先预留球台",
                "生日月赠送包厢体验",
            ],
            2,
        ),
    }


def _clue_consolidation(rng: random.Random, facts: PromptFacts) -> dict[str, Any]:
    if facts.clues:  # the customer's own clues: one per category, the newest wording kept
        newest: dict[str, str] = {}
        for category, content in facts.clues:
            newest[category] = content
        merged = [
            {"category": c, "content": t, "confidence": round(rng.uniform(0.7, 0.95), 2)}
            for c, t in newest.items()
        ]
        removed = len(facts.clues) - len(merged)
    else:
        merged = _clues(rng, rng.randint(2, 4))
        removed = rng.randint(0, 5)
    who = f"{facts.name}的线索" if facts.name else "线索"
    return {
        "merged": merged,
        "removed_duplicates": removed,
        "summary": f"{who}合并后保留{len(merged)}条，去除重复{removed}条，客户主要关注{merged[0]['category']}。",
    }


BUILDERS: dict[str, Callable[[random.Random, PromptFacts], dict[str, Any]]] = {
    "app2_finance": _finance,
    "app2a_finance_digest": _finance_digest,
    "app3_clue_detail": _clue_detail,
    "app4_relationship": _relationship,
    "app5_tactics": _tactics,
    "app6_note_analysis": _note_analysis,
    "app7_customer_insight": _customer_insight,
    "app8_clue_consolidation": _clue_consolidation,
}
