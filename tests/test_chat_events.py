"""The chat SSE events (chat/events.py): every frame a real turn sends fits the published schema
(types/chat-events.schema.json), and the JS client's event types are generated from that schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from support import CHAT_APP_ID, make_settings, serve_app

from bailian_fc.chat import events
from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.chat.function import create_app
from bailian_fc.store import StoreUnavailable
from bailian_fc_tools.emulator import Behaviour
from bailian_fc_tools.export import types as export_types

ROOT = Path(__file__).resolve().parents[1]
TYPES = ROOT / "types"


def published_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((TYPES / export_types.EVENTS_SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def wire_frames(body: bytes) -> list[dict[str, Any]]:
    """Each SSE frame of ``body`` as the schema describes it: ``{event, data}``, a ping comment as
    ``{"event": "ping"}``. Written independently of ``events.read_frames``, which is under test."""
    text = body.decode("utf-8")
    assert text.endswith("\n\n"), text[-80:]
    frames = []
    for block in text.split("\n\n")[:-1]:
        if block.startswith(":"):
            assert block == ": ping", block
            frames.append({"event": "ping"})
            continue
        head, data = block.split("\n")
        assert head.startswith("event: ") and data.startswith("data: "), block
        frames.append({"event": head[len("event: ") :], "data": json.loads(data[len("data: ") :])})
    return frames


async def turn(emulator: Any, tmp_path: Any, token: str, **settings: Any) -> bytes:
    app = create_app(make_settings(emulator, tmp_path, **settings))
    async with serve_app(app) as base, httpx.AsyncClient(timeout=20) as http:
        resp = await http.post(
            f"{base}/chat/messages",
            json={"message": "今晚八点还有包厢吗？"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    return resp.content


@pytest.mark.parametrize(
    "case",
    ["answered with pings", "upstream fails mid-stream", "the answer cannot be stored"],
)
async def test_every_frame_of_a_chat_turn_fits_the_published_event_schema(
    case, emulator, tmp_path, token, monkeypatch
):
    """All five kinds, over real HTTP: meta, ping (the model silent at first), delta, and the
    turn's end as done, as an upstream error after text, or as StoreUnavailable after text."""
    settings: dict[str, Any] = {}
    if case == "answered with pings":
        settings["chat_ping_seconds"] = 0.05
        emulator.script(CHAT_APP_ID, Behaviour(first_chunk_delay=0.3, chunks=4))
        expected_end = "done"
    elif case == "upstream fails mid-stream":
        emulator.script(CHAT_APP_ID, Behaviour(kind="mid_stream_error", after_chunks=2, code="InternalError"))
        expected_end = "error"
    else:

        def store_down(self: Any, *args: Any, **kwargs: Any) -> bool:
            raise StoreUnavailable("store timed out after 3 attempts")

        monkeypatch.setattr(ConversationStore, "finish_turn", store_down)
        expected_end = "error"
    body = await turn(emulator, tmp_path, token, **settings)
    frames = wire_frames(body)
    validator = published_validator()
    for frame in frames:
        errors = [e.message for e in validator.iter_errors(frame)]
        assert not errors, f"{frame} does not fit the schema: {errors}"
    kinds = [f["event"] for f in frames]
    assert kinds[0] == "meta" and kinds[-1] == expected_end and "delta" in kinds
    if case == "answered with pings":
        assert "ping" in kinds[: kinds.index("delta")]
        assert frames[-1]["data"]["usage"]["tokens_used"] > 0
    else:
        code = "InternalError" if case == "upstream fails mid-stream" else "StoreUnavailable"
        assert frames[-1]["data"]["code"] == code and kinds.index("delta") < len(kinds) - 1
    # as the OpenAPI document describes the stream (SSE fields; data a string, its JSON the contentSchema)
    documented = events.openapi_stream_schema()
    content_of = {
        a["properties"]["event"]["const"]: a["properties"]["data"]["contentSchema"]
        for a in documented["oneOf"]
    }
    for frame in frames:
        if frame["event"] == "ping":
            continue  # a comment, no SSE event
        sse = {"event": frame["event"], "data": json.dumps(frame["data"], ensure_ascii=False)}
        assert jsonschema.Draft202012Validator(documented).is_valid(sse), sse
        assert jsonschema.Draft202012Validator(content_of[frame["event"]]).is_valid(frame["data"]), frame
    # the models read the same stream back (verify reads it this way)
    read = events.read_frames(body.decode("utf-8"))
    assert [type(e).event for e in read] == kinds
    assert [e.model_dump() for e in read if not isinstance(e, events.Ping)] == [
        f["data"] for f in frames if "data" in f
    ]


def test_the_schema_refuses_frames_the_server_must_not_send():
    """The published schema is closed: a done without tokens_used, an extra field, or an unknown
    event does not validate (so the test above could fail)."""
    validator = published_validator()
    done = {
        "conversation_id": "c1",
        "turn_id": "t1",
        "finish_reason": "stop",
        "usage": {"input_tokens": 1, "output_tokens": 2, "tokens_used": 3},
        "latency_ms": 5,
    }
    assert validator.is_valid({"event": "done", "data": done})
    without_total = {**done, "usage": {"input_tokens": 1, "output_tokens": 2}}
    for bad in (
        {"event": "done", "data": without_total},
        {"event": "delta", "data": {"text": "x", "extra": 1}},
        {"event": "delta", "data": {"text": 3}},
        {"event": "message", "data": {"text": "x"}},
        {"event": "ping", "data": {}},
        {"event": "error", "data": {"code": "X", "message": "m", "retryable": "yes", "request_id": "r"}},
    ):
        assert not validator.is_valid(bad), bad
    with pytest.raises(ValueError):
        events.parse("done", without_total)


def test_each_model_writes_one_frame_its_reader_parses_back():
    samples = [
        events.Meta(conversation_id="c1", turn_id="t1"),
        events.Delta(text='你好 "\n" \u2028'),
        events.PING,
        events.Done(
            conversation_id="c1",
            turn_id="t1",
            finish_reason=None,
            usage=events.Usage(input_tokens=0, output_tokens=0, tokens_used=0),
            latency_ms=0,
        ),
        events.Error(code="InternalError", message="internal error", retryable=False, request_id="r1"),
    ]
    body = b"".join(e.frame() for e in samples)
    assert body.count(b"\n\n") == len(samples)  # a newline in the text never breaks a frame
    assert events.read_frames(body.decode("utf-8")) == samples
    assert [f["event"] for f in wire_frames(body)] == ["meta", "delta", "ping", "done", "error"]


def test_the_typescript_event_union_is_generated_from_the_published_schema():
    """types/chat-events.d.ts is what the generator prints from the committed schema file, and the
    JS client takes its event shapes from it rather than declaring its own."""
    schema = json.loads((TYPES / export_types.EVENTS_SCHEMA_FILE).read_text(encoding="utf-8"))
    assert schema == export_types.chat_events_schema(), "run `bailian-fc export-types`"
    generated = (TYPES / export_types.EVENTS_TS_FILE).read_text(encoding="utf-8")
    assert generated == export_types.chat_events_typescript(schema), "run `bailian-fc export-types`"
    assert re.search(r"usage: \{[^}]*tokens_used: number;", generated)
    union = re.search(r"export type ChatEventName = (.*);", generated)
    assert union and re.findall(r'"(\w+)"', union.group(1)) == [m.event for m in events.EVENTS]
    yielded = re.findall(r'\| \{ type: "(\w+)"', generated)
    assert yielded == [m.event for m in events.EVENTS if m is not events.Ping]
    # the client's runtime filter names the same kinds as the generated union (chat.js KINDS)
    kinds = re.search(r"const KINDS = new Set\(\[([^\]]*)\]\)", (ROOT / "clients/js/src/chat.js").read_text())
    assert kinds and re.findall(r"'(\w+)'", kinds.group(1)) == yielded
    client = (ROOT / "clients" / "js" / "src" / "index.d.ts").read_text(encoding="utf-8")
    assert "from '../../../types/chat-events'" in client
    assert not re.search(r"interface Chat(Meta|Delta|Done)\b", client), "the client re-declares an event"


def test_the_chat_routes_openapi_reply_is_the_event_stream_schema():
    """The route documents the same models as SSE fields (data: a JSON string with its contentSchema),
    self-contained so it is valid inside any document; the ping comment is no SSE event there."""
    from bailian_fc.chat.function import document

    reply = document()["paths"]["/chat/messages"]["post"]["responses"]["200"]
    documented = reply["content"]["text/event-stream"]["schema"]
    assert documented == events.openapi_stream_schema() and "$ref" not in json.dumps(documented)
    decoded = {
        alt["title"]: alt["properties"]["data"]
        for alt in events.stream_schema()["oneOf"]
        if "data" in alt["properties"]
    }
    wire = {alt["title"]: alt["properties"]["data"] for alt in documented["oneOf"]}
    assert wire == {
        name: {"type": "string", "contentMediaType": "application/json", "contentSchema": schema}
        for name, schema in decoded.items()
    }
