"""Deterministic, plausible replies of the emulated Bailian apps.

``default_reply(app_id, prompt, messages)`` picks the app key contained in the app id
(``"emu-app2_finance"`` -> ``app2_finance``; the longest contained key wins; ids naming no key
behave like ``app1_chat``) and answers:

* ``app1_chat``: a Chinese answer (60-200 chars) of a billiard-venue assistant, on the topic
  the prompt asks about (台费, 会员充值, 包厢, 教练课, 营业/夜场, 预约), varied by a hash of the
  prompt;
* every other key: a JSON string (``ensure_ascii=False``) that validates against
  its catalogue output model, built from the figures and records the prompt carries (names, signs
  and percentages: ``prompt_facts.py``), so a demo never contradicts its own numbers; what the
  prompt does not say is varied by a hash of the prompt.

Same inputs, same reply -- across processes (sha256, not ``hash()``).
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from bailian_fc.catalogue.registry import app_keys

from .app_replies import BUILDERS
from .prompt_facts import facts_of

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
    builder = BUILDERS.get(key)
    if builder is None:  # a catalogue key without a builder yet: still JSON, probably invalid
        return json.dumps({"summary": _chat_reply(text, rng)}, ensure_ascii=False)
    return json.dumps(builder(rng, facts_of(text)), ensure_ascii=False)


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
