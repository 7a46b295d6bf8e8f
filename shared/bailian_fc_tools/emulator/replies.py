"""Deterministic, plausible replies of the emulated Bailian apps.

``default_reply(app_id, prompt, messages)`` picks the app key contained in the app id
(``"emu-app2_finance"`` -> ``app2_finance``; the longest contained key wins; ids naming no key
behave like ``app1_chat``) and answers:

* ``app1_chat``: a Chinese answer (60-200 chars) of a billiard-venue assistant, on the topic
  the prompt asks about (台费, 会员充值, 包厢, 教练课, 营业/夜场, 预约), varied by a hash of the
  prompt;
* every other key: a JSON string (``ensure_ascii=False``) that validates against
  its catalogue output model, its content varied by a hash of the prompt.

Same inputs, same reply -- across processes (sha256, not ``hash()``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from typing import Any

from bailian_fc.catalogue.registry import app_keys

CHAT_KEY = "app1_chat"


def app_key_for(app_id: str) -> str:
    """The app key named inside ``app_id``; the longest match wins; default ``app1_chat``."""
    best = ""
    for key in app_keys():
        if key in app_id and len(key) > len(best):
            best = key
    return best or CHAT_KEY


def prompt_of(prompt: str | None, messages: list | None) -> str:
    """The user's text: ``prompt``, else the last user message's content (else all content)."""
    if prompt:
        return prompt
    if messages:
        for msg in reversed(messages):
            if isinstance(msg, dict) and msg.get("role") == "user" and msg.get("content"):
                return _content_text(msg["content"])
        return " ".join(_content_text(m.get("content")) for m in messages if isinstance(m, dict))
    return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal parts: [{"text": ...}, {"image": ...}]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def estimate_tokens(text: str) -> int:
    """A deterministic token estimate: one per CJK/non-ASCII char, ~one per 4 ASCII chars."""
    if not text:
        return 0
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    ascii_chars = len(text) - non_ascii
    return max(1, non_ascii + (ascii_chars + 3) // 4)


def _rng(key: str, text: str) -> random.Random:
    digest = hashlib.sha256(f"{key}\x00{text}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def default_reply(app_id: str, prompt: str | None, messages: list | None) -> str:
    key = app_key_for(app_id)
    text = prompt_of(prompt, messages)
    rng = _rng(key, text)
    if key == CHAT_KEY:
        return _chat_reply(text, rng)
    builder = _BUILDERS.get(key)
    if builder is None:  # a catalogue key without a builder yet: still JSON, probably invalid
        return json.dumps({"summary": _chat_reply(text, rng)}, ensure_ascii=False)
    return json.dumps(builder(rng), ensure_ascii=False)


# -- app1_chat ------------------------------------------------------------------------------

# Checked in order: specific topics first, price last ("包厢怎么收费" is about 包厢).
_CHAT_TOPICS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (
        ("包厢", "包间", "VIP", "vip", "聚会", "团建"),
        (
            "我们有4间独立包厢，每间配一张中式八球台和休息沙发，适合朋友聚会或商务接待。"
            "包厢每小时88元，最低消费2小时，建议提前一天在小程序预约。",
            "包厢目前是88元/小时起，含茶水，空调可以独立控制。周末晚上比较紧张，一般需要提前预订；"
            "会员预约包厢享受9折，超时按半小时计费。",
            "VIP包厢配有斯诺克标准台、独立卫生间和点单屏，每小时128元，节假日需要提前两天预约。"
            "到店后报预约手机号即可直接入场。",
        ),
    ),
    (
        ("教练", "课", "学球", "培训", "陪练", "入门"),
        (
            "我们有3位持证教练，提供一对一教练课：单节60分钟200元，买10节送1节。"
            "零基础学员一般建议先上2到3节基础课，练习站姿、手架和直线击球。",
            "教练课可以在小程序里预约，选好教练和时间段即可。体验课99元/45分钟，包含台费；"
            "正式课程一对一每小时220元，两人同上每人150元。",
            "如果您想系统提高，推荐我们的8节进阶课程，内容包括走位、加塞和防守，总价1480元，"
            "可以分次使用，有效期三个月，上课期间台费全免。",
        ),
    ),
    (
        ("会员", "充值", "储值", "办卡", "余额", "积分"),
        (
            "我们的会员充值有三档：充500元送50元，充1000元送150元，充2000元送400元。"
            "会员打球台费享受8.5折，生日当月还送两小时台费，余额长期有效。",
            "办理会员很简单，在小程序或前台充值任意金额即可成为会员。储值会员台费9折，"
            "充值满1000元升级金卡，台费8折，每月还可免费预约一次包厢。",
            "会员卡余额可以用于台费、饮料和教练课，不支持提现。想查询余额或积分，"
            "可以在小程序“我的”页面查看，也可以让前台帮您查询。",
        ),
    ),
    (
        ("夜场", "通宵", "营业", "几点", "关门", "晚上", "时间"),
        (
            "我们每天上午10点营业到凌晨2点，周五和周六开夜场，营业到早上6点。"
            "夜场套餐（22点到次日6点）中式台168元，含两瓶饮料，非常划算。",
            "夜场从晚上22点开始，通宵套餐198元/台，含8小时台费和一份小吃。夜场人比较多，"
            "建议提前在小程序预约球台，以免到店后排队。",
            "平时营业时间是10:00到次日02:00，节假日延长到凌晨4点。晚上20点到23点是高峰期，"
            "如果您晚上过来打球，最好提前半小时预订。",
        ),
    ),
    (
        ("预约", "预订", "订台", "排队", "空台", "取消"),
        (
            "预约球台可以在小程序首页点“预约订台”，选择日期、时段和台型后提交，预约成功会收到通知。"
            "预约保留15分钟，超时未到店会自动释放。",
            "目前可以通过小程序或电话预约，包厢需要支付50元定金，普通球台无需定金。"
            "如果行程有变，请在预约时间前1小时取消，定金原路退回。",
            "现在大厅还有空台，您可以直接过来；晚上高峰时段建议先在小程序预约。"
            "到店后报手机号，前台会为您开台计时。",
        ),
    ),
    (
        ("台费", "价格", "多少钱", "收费", "费用", "价位"),
        (
            "您好！我们店的台费按小时计算：中式八球台白天每小时38元，晚上18点以后每小时48元；"
            "斯诺克台每小时58元。会员储值后台费享受8.5折，不足一小时按半小时计费。",
            "台费标准是这样的：工作日14点前是优惠时段，中式台每小时28元；其他时段中式台48元/小时、"
            "斯诺克台58元/小时。结账时可以用微信或会员卡支付。",
            "目前大厅球台每小时45元，包厢台每小时88元起。周一到周五12点到17点是优惠时段，台费打8折。"
            "建议您到店前在小程序里先看一下空台情况哦。",
        ),
    ),
]

_CHAT_GENERIC: tuple[str, ...] = (
    "您好，我是球房的智能助手，可以帮您查询台费、会员充值、包厢预约、教练课和营业时间等信息。"
    "请问您想了解哪一方面呢？",
    "感谢您的咨询！我们球房有中式八球台12张、斯诺克台4张和独立包厢4间，环境安静，停车方便。"
    "台费、会员或预约的问题都可以问我。",
    "这个问题我先帮您记录下来，稍后店长会联系您。您也可以先在小程序查看球台、会员和课程信息，"
    "或者直接拨打前台电话咨询。",
)

_CHAT_CLOSINGS: tuple[str, ...] = (
    "",
    "还有其他问题随时问我哦～",
    "期待您的光临！",
    "如需帮忙预约，告诉我时间就可以。",
)


def _chat_reply(text: str, rng: random.Random) -> str:
    answers = _CHAT_GENERIC
    for keywords, topic_answers in _CHAT_TOPICS:
        if any(k in text for k in keywords):
            answers = topic_answers
            break
    answer = rng.choice(answers) + rng.choice(_CHAT_CLOSINGS)
    return answer[:200]


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


def _finance(rng: random.Random) -> dict[str, Any]:
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
    suggestions_pool = [
        "工作日下午推出学生价或两小时套餐，提升空闲时段开台率",
        "在会员日对充值1000元以上的会员赠送包厢体验券",
        "夜场增加饮料小吃组合套餐，提高客单价",
        "对教练课老学员做一次回访，了解续费顾虑",
        "周末晚高峰开放小程序排队叫号，减少流失",
    ]
    trend = f"环比增长{change}%" if change >= 0 else f"环比下降{-change}%"
    return {
        "summary": f"本周营收{revenue}元，{trend}，夜场和会员消费是主要来源。",
        "insights": rng.sample(insights_pool, rng.randint(2, 3)),
        "suggestions": rng.sample(suggestions_pool, 2),
    }


def _finance_digest(rng: random.Random) -> dict[str, Any]:
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


def _clue_detail(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(_NAMES)
    age = rng.randint(22, 48)
    facts_pool = [
        f"近30天到店{rng.randint(3, 14)}次，偏好中式八球台",
        f"会员卡余额{rng.randint(0, 1500)}元",
        "常在周五晚上和朋友一起来，一般开3小时以上",
        "曾咨询过包厢团建价格",
        "上个月上过一节教练体验课",
        "对价格比较敏感，多次使用优惠时段",
    ]
    follow_pool = [
        "周四前发送周末包厢预约提醒",
        "邀请参加本月八球积分赛",
        "介绍充1000元送150元的会员活动",
        "推荐教练进阶课程并赠送一次体验",
        "回访上次提出的球台维护意见",
    ]
    risks_pool = ["近两周到店频次下降", "曾对台费涨价表示不满", "附近新开了一家球房"]
    return {
        "profile_summary": f"{name}，约{age}岁，{rng.choice(('老会员', '新客户', '活跃散客'))}，"
        f"{rng.choice(('喜欢夜场打球', '多在工作日下午来店', '常带朋友来聚会'))}。",
        "key_facts": rng.sample(facts_pool, 3),
        "intent_level": rng.choice(("high", "medium", "low")),
        "follow_ups": rng.sample(follow_pool, 2),
        "risk_flags": rng.sample(risks_pool, rng.randint(0, 1)),
    }


def _relationship(rng: random.Random) -> dict[str, Any]:
    score = rng.randint(38, 96)
    level = "关系稳固" if score >= 75 else ("关系一般" if score >= 55 else "关系偏弱")
    return {
        "score": score,
        "summary": f"店员与{rng.choice(_NAMES)}互动{level}，近一个月沟通{rng.randint(2, 12)}次，"
        f"客户对服务{rng.choice(('满意', '基本满意', '有一些意见'))}。",
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


def _tactics(rng: random.Random) -> dict[str, Any]:
    return {
        "openers": rng.sample(
            [
                "王哥，好久没见您来打球了，最近工作忙吧？",
                "您上次说想带朋友来包厢，这周末正好有空位哦。",
                "本周会员日充值有加赠，第一时间告诉您一声。",
                "新到了几支碳纤维球杆，您来试试手感？",
            ],
            2,
        ),
        "talking_points": rng.sample(
            [
                "会员充1000元送150元，台费再享8.5折",
                "周五夜场套餐含饮料，比单点划算",
                "包厢可以免费提供团建记分服务",
                "教练进阶课可以分次使用，有效期三个月",
                "小程序预约可以锁定常用球台",
            ],
            3,
        ),
        "avoid": rng.sample(
            ["不要一开口就推销充值", "避免提及客户上次的投诉细节", "不要在客户打球时长时间打扰"],
            rng.randint(1, 2),
        ),
    }


def _note_analysis(rng: random.Random) -> dict[str, Any]:
    return {
        "clues": _clues(rng, rng.randint(1, 3)),
        "sentiment": rng.choice(("positive", "neutral", "negative")),
        "tags": rng.sample(["夜场常客", "团建需求", "会员潜客", "价格敏感", "教练课", "学生"], 2),
    }


def _customer_insight(rng: random.Random) -> dict[str, Any]:
    risk = rng.choice(("high", "medium", "low"))
    reasons = {
        "high": ["近30天未到店", "会员余额已用完且未续充", "曾反馈高峰期等台时间长"],
        "medium": ["到店频次较上月下降", "最近只在优惠时段消费", "对夜场价格有异议"],
        "low": ["每周稳定到店2次以上", "会员余额充足", "经常带新朋友来店"],
    }[risk]
    return {
        "segment": rng.choice(("高价值会员", "夜场常客", "周末聚会客", "价格敏感型散客", "教练课学员")),
        "churn_risk": risk,
        "reasons": rng.sample(reasons, 2),
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


def _clue_consolidation(rng: random.Random) -> dict[str, Any]:
    merged = _clues(rng, rng.randint(2, 4))
    removed = rng.randint(0, 5)
    return {
        "merged": merged,
        "removed_duplicates": removed,
        "summary": f"合并后保留{len(merged)}条有效线索，去除重复{removed}条，"
        f"客户主要关注{merged[0]['category']}。",
    }


_BUILDERS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "app2_finance": _finance,
    "app2a_finance_digest": _finance_digest,
    "app3_clue_detail": _clue_detail,
    "app4_relationship": _relationship,
    "app5_tactics": _tactics,
    "app6_note_analysis": _note_analysis,
    "app7_customer_insight": _customer_insight,
    "app8_clue_consolidation": _clue_consolidation,
}
