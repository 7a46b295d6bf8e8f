"""Time-ordered ids: key order = creation order, no coordination, no collisions worth a retry."""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import TypeGuard

ID_RE = re.compile(r"^[a-z][0-9a-f]{22}$")

# Site ids and user ids (a token's ``site_id`` and ``sub``) become store key segments and file names:
# ASCII letters, digits, ``.``, ``_``, ``-``; 1–64 characters; first one a letter or digit, so never
# ``.``/``..`` nor a hidden file. 64 bytes per segment keeps every key far under S3/OSS's 1,024 and a
# file name's 255 (docs/contracts.md, "Tokens and admin scope").
SAFE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


_RANDOM_SPAN = 16**10
_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random part) of this process's newest id


def new_id(prefix: str) -> str:
    """``prefix`` + 12 hex digits of epoch milliseconds + 10 random hex digits (23 chars in all).

    Monotonic within a process, as ULIDs are: an id made in the same millisecond as the previous one
    (or after the wall clock stepped back) reuses that millisecond and adds one to the random part, so
    records one process writes in a row list in the order it wrote them.
    """
    global _last
    now = int(time.time() * 1000)
    with _lock:
        last_ms, last_random = _last
        if now > last_ms:
            _last = (now, secrets.randbelow(_RANDOM_SPAN // 2))  # headroom for increments
        elif last_random + 1 < _RANDOM_SPAN:
            _last = (last_ms, last_random + 1)
        else:
            _last = (last_ms + 1, secrets.randbelow(_RANDOM_SPAN // 2))
        ms, random_part = _last
    return f"{prefix}{ms:012x}{random_part:010x}"


def is_id(value: str, prefix: str) -> bool:
    return value.startswith(prefix) and bool(ID_RE.match(value))


def is_safe_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a safe site or user id (see ``SAFE_ID_PATTERN``; fullmatch, so no trailing newline)."""
    return isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None
