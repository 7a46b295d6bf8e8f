"""The one JSON parser for anything a client sends: bodies, token headers and claims, cursors.

``json.loads`` alone lets a client send what later breaks a function: 2,000-deep nesting
(RecursionError), a 5,000-digit integer (Python's int-string limit raises ValueError), and
``NaN``/``Infinity``/``1e999`` that json.loads accepts, that we would store, and that every later
strict read (``allow_nan=False`` answers) then refuses forever. :func:`loads` refuses all of them
up front with :class:`JsonRejected`, a ValueError each caller turns into its own 400/401.

Limits (documented in docs/contracts.md, "Input limits and errors"):

* ``max_depth`` nested arrays/objects (default 32);
* numbers of at most ``MAX_NUMBER_CHARS`` characters, finite only (no NaN, ±Infinity, 1e999);
* ``max_bytes`` of input when given (request bodies are already bounded by the adapters).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40  # a float64 needs at most 24; an int64 20: anything longer is not a real value


class JsonRejected(ValueError):
    """Not JSON, or JSON past our limits; ``str()`` completes "the body …" and never echoes input."""


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRejected(f"has a number longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRejected(f"has a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejected("has a number out of range (it would be infinite)")
    return value


def _constant(name: str) -> Any:
    raise JsonRejected(f"has {name}, which is not a JSON number")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` containers (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    push = stack.append
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is dict or kind is list:  # json gives exactly these types
                push((child, depth + 1))
    return False


# Built once: json.loads with hooks would build a decoder on every call.
_DECODER = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_constant)


def _cheap_depth_bound(raw: str | bytes) -> int:
    """An upper bound on nesting: the number of '[' and '{' characters (strings included)."""
    if isinstance(raw, bytes):
        return raw.count(b"[") + raw.count(b"{")
    return raw.count("[") + raw.count("{")


def loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int | None = None) -> Any:
    """``raw`` parsed as strict JSON within the limits above, or :class:`JsonRejected`."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise JsonRejected(f"is longer than {max_bytes} bytes")
    try:
        text = raw.decode(json.detect_encoding(raw), "surrogatepass") if isinstance(raw, bytes) else raw
        value = _DECODER.decode(text)
    except JsonRejected:
        raise
    except RecursionError:
        raise JsonRejected(f"is nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError:
        raise JsonRejected("is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise JsonRejected(f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError:  # anything else json or int() refuses
        raise JsonRejected("is not valid JSON") from None
    if (
        type(value) in (dict, list)
        and _cheap_depth_bound(raw) > max_depth
        and _depth_exceeds(value, max_depth)
    ):
        raise JsonRejected(f"is nested deeper than {max_depth} levels")
    return value
