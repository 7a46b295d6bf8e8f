"""The bounded JSON parser's limits, at their edges (the HTTP tests cover each caller)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bailian_fc import jsonsafe


@pytest.mark.parametrize(
    "text",
    [
        "[" * 32 + "]" * 32,
        '{"a":' * 31 + "[1]" + "}" * 31,
        "9" * 40,
        "-" + "9" * 39,
        "1.7976931348623157e308",
        '{"s":"' + "9" * 5000 + '"}',  # a long digit run inside a string is just text
        '"NaN"',
    ],
)
def test_within_the_limits(text):
    jsonsafe.loads(text)
    jsonsafe.loads(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        "[" * 33 + "]" * 33,
        '{"a":' * 32 + "[1]" + "}" * 32,
        "[" * 100_000,
        "9" * 41,
        "0." + "1" * 39,
        "1e309",
        "-1e309",
        "NaN",
        "Infinity",
        "-Infinity",
        "[1,NaN]",
        "",
        "{",
        '{"a":1} trailing',
        b"\xff\xfe\x00",
    ],
)
def test_past_the_limits_or_not_json(text):
    with pytest.raises(jsonsafe.JsonRejected):
        jsonsafe.loads(text)


def test_a_size_limit_when_asked():
    with pytest.raises(jsonsafe.JsonRejected, match="longer than 8 bytes"):
        jsonsafe.loads(b'{"a":"123"}', max_bytes=8)


def test_a_100000_deep_timer_event_is_a_clean_refusal_not_a_recursion_error() -> None:
    from bailian_fc.jobs.events import EventError, decode_event

    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(EventError, match="nested deeper"):
        decode_event(deep.encode())
    with pytest.raises(EventError, match="nested deeper"):
        decode_event('{"a":' * 100_000 + "1" + "}" * 100_000)


def test_a_stored_record_is_read_through_the_bounded_parser(tmp_path: Path) -> None:
    from bailian_fc.store import FileStore

    store = FileStore(tmp_path)
    store.put("x/deep.json", b"[" * 5000 + b"]" * 5000)
    store.put("x/nan.json", b"[NaN]")
    for key in ("x/deep.json", "x/nan.json"):
        with pytest.raises(ValueError):
            store.get_json(key)
