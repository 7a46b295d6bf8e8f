"""Time-ordered ids: key order = creation order, no coordination, no collisions worth a retry."""

from __future__ import annotations

import re
import secrets
import time

ID_RE = re.compile(r"^[a-z][0-9a-f]{22}$")


def new_id(prefix: str) -> str:
    """``prefix`` + 12 hex digits of epoch milliseconds + 10 random hex digits (23 chars in all)."""
    return f"{prefix}{int(time.time() * 1000):012x}{secrets.token_hex(5)}"


def is_id(value: str, prefix: str) -> bool:
    return value.startswith(prefix) and bool(ID_RE.match(value))
