"""Personal data out of a trace: one function, :func:`mask`, applied to every input and output kept.

A trace answers "what did the AI tell manager X about customer Y" by ids (customer, clue, area),
never by the customer's phone number. So, by default:

* in any text, a mainland mobile number (``1[3-9]`` + 9 digits) keeps its first 3 and last 4 digits
  (``138****5678``), an 18-character resident id keeps its first 4 and last 2, an e-mail address its
  first character and domain;
* the value under a personal field's name (``phone``, ``mobile``, ``id_card``, ``email``,
  ``wechat``, ``address``… see :data:`PERSONAL_FIELDS`) is masked whatever it looks like.

Ids, names of apps and areas, figures and the answer's prose stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

PERSONAL_FIELDS = frozenset(
    {
        "phone", "mobile", "tel", "telephone", "phone_number", "mobile_phone", "contact_phone",
        "id_card", "idcard", "id_number", "identity_card", "email", "wechat", "wechat_id", "address",
    }
)  # fmt: skip

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{4})\d{12}(\d{1}[\dXx])(?![\dA-Za-z])")
_EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
MAX_DEPTH = 32


def mask_text(text: str) -> str:
    text = _ID_CARD.sub(r"\1************\2", text)
    text = _PHONE.sub(r"\1****\3", text)
    return _EMAIL.sub(r"\1***@\2", text)


def _whole(value: Any) -> Any:
    """A personal field's value: kept only as much as a masked text of it shows."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    masked = mask_text(text)
    return masked if masked != text else ("*" * min(len(text), 8) if text else text)


def mask(value: Any, _depth: int = 0) -> Any:
    """``value`` (JSON-shaped) with personal data masked (module docstring); a new object."""
    if _depth > MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {
            k: (_whole(v) if isinstance(k, str) and k.lower() in PERSONAL_FIELDS and not isinstance(v, (dict, list))
                else mask(v, _depth + 1))
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, (list, tuple)):
        return [mask(v, _depth + 1) for v in value]
    return value
