"""The Bailian emulator, driven by the real dashscope SDKs (1.x ``Application.call`` and the
2.0 ``AsyncClient``), raw sockets and httpx: every behaviour, as each client sees it."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time

import dashscope
import httpx
import pytest
import requests
from dashscope.v2 import errors as v2errors

from bailian_fc.catalogue.apps import app2_finance as app2
from bailian_fc.catalogue.apps import app2a_finance_digest as app2a
from bailian_fc.catalogue.apps import app3_clue_detail as app3
from bailian_fc.catalogue.apps import app4_relationship as app4
from bailian_fc.catalogue.apps import app5_tactics as app5
from bailian_fc.catalogue.apps import app6_note_analysis as app6
from bailian_fc.catalogue.apps import app8_clue_consolidation as app8
from bailian_fc.catalogue.inputs import CustomerRef, FinanceFilter
from bailian_fc.catalogue.registry import app_keys, output_models
from bailian_fc_tools.emulator import Behaviour, Emulator, EmulatorThread, app_key_for, default_reply
from bailian_fc_tools.emulator.behaviours import KINDS, MAX_STALL_SECONDS

CHAT = "emu-app1_chat"
PROMPT = "你们台费多少钱？"
KEY = "test-key"

# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _thread_emu():
    with EmulatorThread() as emu:
        yield emu


@pytest.fixture
def temu(_thread_emu: Emulator):
    """The module's EmulatorThread emulator, clean for each test (for the sync 1.x SDK)."""
    _thread_emu.reset()
    _thread_emu.default = Behaviour()
    yield _thread_emu
    _thread_emu.reset()
    _thread_emu.default = Behaviour()


@pytest.fixture
async def emu():
    async with Emulator() as e:
        yield e


def v1_stream(emu: Emulator, app_id: str = CHAT, prompt: str = PROMPT, **kw):
    kw.setdefault("incremental_output", True)
    return dashscope.Application.call(
        api_key=KEY, app_id=app_id, prompt=prompt, stream=True, base_address=emu.base_url, **kw
    )


def v1_call(emu: Emulator, app_id: str = CHAT, prompt: str = PROMPT, **kw):
    return dashscope.Application.call(
        api_key=KEY, app_id=app_id, prompt=prompt, base_address=emu.base_url, **kw
    )


def v2(emu: Emulator, **kw) -> dashscope.AsyncClient:
    return dashscope.AsyncClient(api_key=KEY, base_url=emu.base_url, max_retries=0, **kw)


async def v2_collect(client, app_id: str = CHAT, prompt: str = PROMPT, **kw) -> list:
    stream = await client.apps.completions.create(
        app_id=app_id, prompt=prompt, stream=True, incremental_output=kw.pop("incremental_output", True), **kw
    )
    return [ev async for ev in stream]


# -- replies --------------------------------------------------------------------------------

PROMPTS = ["", "你好", "本周营收怎么样？", "王先生最近来得少了", "客户想办会员，充1000送多少？", "x" * 500]


@pytest.mark.parametrize("key", [k for k in app_keys() if k != "app1_chat"])
def test_structured_replies_validate_against_output_models(key: str) -> None:
    seen = set()
    for prompt in PROMPTS:
        text = default_reply(f"emu-{key}", prompt, None)
        assert text == default_reply(f"emu-{key}", prompt, None)  # deterministic
        assert "\\u" not in text  # ensure_ascii=False
        output_models()[key].model_validate(json.loads(text))
        seen.add(text)
    assert len(seen) >= 3  # varies with the prompt
    # messages instead of prompt: the last user message drives the hash
    msgs = [
        {"role": "user", "content": "早"},
        {"role": "assistant", "content": "好"},
        {"role": "user", "content": "你好"},
    ]
    assert default_reply(f"x-{key}-y", None, msgs) == default_reply(f"emu-{key}", "你好", None)


def test_chat_replies_are_plausible_chinese_and_topical() -> None:
    prompts = [
        "台费多少钱",
        "会员充值有什么优惠",
        "包厢怎么收费",
        "有教练课吗",
        "夜场几点开始",
        "怎么预约",
        "你好",
        "随便问问",
    ]
    replies = {p: default_reply(CHAT, p, None) for p in prompts}
    for text in replies.values():
        assert 60 <= len(text) <= 200
        assert not text.lstrip().startswith("{")
    assert "元" in replies["台费多少钱"] and "会员" in replies["会员充值有什么优惠"]
    assert "包厢" in replies["包厢怎么收费"] and "课" in replies["有教练课吗"]
    assert len({default_reply(CHAT, f"台费问题{i}", None) for i in range(30)}) >= 4
    assert default_reply("some-unknown-app", "你好", None) == default_reply(CHAT, "你好", None)


def test_app_key_matching() -> None:
    assert app_key_for("emu-app2_finance") == "app2_finance"
    assert app_key_for("emu-app2a_finance_digest") == "app2a_finance_digest"
    assert app_key_for("prod-app8_clue_consolidation-v2") == "app8_clue_consolidation"
    assert app_key_for("3f8c1e0d9a") == "app1_chat"
    assert set(app_keys()) == {app_key_for(f"emu-{k}") for k in app_keys()}


def test_behaviour_construction() -> None:
    b = Behaviour.from_dict({"kind": "http_error", "status": 429, "retry_after": 2})
    assert b.error_code == "Throttling.RateQuota" and "rate limit" in b.error_message
    assert Behaviour.coerce("drop").kind == "drop"
    assert Behaviour.from_json(json.dumps(b.to_dict())) == b
    with pytest.raises(ValueError, match="unknown behaviour kind"):
        Behaviour(kind="explode")
    with pytest.raises(ValueError, match="unknown behaviour field"):
        Behaviour.from_dict({"kind": "ok", "chunk_dealy": 1})
    assert set(KINDS) >= {"ok", "drop_before_response", "fenced_json"}


# -- raw wire -------------------------------------------------------------------------------


def _raw_post(port: int, app_id: str, body: dict, headers: dict[str, str]) -> bytes:
    data = json.dumps(body).encode()
    head = f"POST /api/v1/apps/{app_id}/completion HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(head.encode() + data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def _dechunk(body: bytes) -> list[bytes]:
    chunks = []
    while True:
        size_line, body = body.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            assert body == b"\r\n"
            return chunks
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]


async def test_raw_stream_framing_is_gateway_exact(emu: Emulator) -> None:
    emu.script("raw", Behaviour(chunks=3, text="你好，我是模拟器。"))
    raw = await asyncio.to_thread(
        _raw_post,
        emu.port,
        "raw",
        {"input": {"prompt": "hi", "session_id": "s" * 32}},
        {"Authorization": "Bearer k", "Accept": "text/event-stream"},
    )
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "Content-Type: text/event-stream;charset=UTF-8" in lines and "Transfer-Encoding: chunked" in lines
    events = _dechunk(body)  # one HTTP chunk per SSE event
    assert len(events) == 3
    texts = []
    for i, ev in enumerate(events, 1):
        text = ev.decode()
        m = re.fullmatch(r"id:(\d+)\nevent:result\n:HTTP_STATUS/200\ndata:(\{.*\})\n\n", text)
        assert m, text
        assert int(m.group(1)) == i
        data = json.loads(m.group(2))
        assert data["output"]["session_id"] == "s" * 32 and data["request_id"]
        assert data["output"]["finish_reason"] == ("stop" if i == 3 else "null")
        assert ("usage" in data) == (i == 3)
        texts.append(data["output"]["text"])
    assert texts == ["你好，", "你好，我是模", "你好，我是模拟器。"]  # cumulative by default


@pytest.mark.parametrize("incremental", [True, False])
async def test_raw_result_events_are_compact_json_byte_for_byte(emu: Emulator, incremental: bool) -> None:
    # The stream encodes its event envelope once and only the text per event: the bytes must
    # still be exactly json.dumps(ensure_ascii=False, compact) of the documented object.
    text = 'a"b\\c\n\t\x01\x7f é中😀 </script> \u2028'
    sid = 'se"ss\\ion\n中'
    emu.script("raw", Behaviour(kind="text", text=text, chunks=4, input_tokens=5, output_tokens=7))
    raw = await asyncio.to_thread(
        _raw_post,
        emu.port,
        "raw",
        {"input": {"prompt": "hi", "session_id": sid}, "parameters": {"incremental_output": incremental}},
        {"Authorization": "Bearer k", "X-DashScope-SSE": "enable"},
    )
    head, body = raw.split(b"\r\n\r\n", 1)
    rid = re.search(r"\r\nX-Request-Id: ([^\r]+)", head.decode()).group(1)
    events = _dechunk(body)
    assert len(events) == 4
    pieces = [text[0:7], text[7:13], text[13:19], text[19:]]  # 25 chars in 4 pieces
    assert "".join(pieces) == text
    for i, ev in enumerate(events):
        last = i == 3
        expected: dict = {
            "output": {
                "session_id": sid,
                "finish_reason": "stop" if last else "null",
                "text": pieces[i] if incremental else "".join(pieces[: i + 1]),
            }
        }
        if last:
            expected["usage"] = {"models": [{"model_id": "qwen-plus", "input_tokens": 5, "output_tokens": 7}]}
        expected["request_id"] = rid
        data = json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
        assert ev == f"id:{i + 1}\nevent:result\n:HTTP_STATUS/200\ndata:{data}\n\n".encode()


async def test_raw_mid_stream_error_and_http_error(emu: Emulator) -> None:
    emu.script(
        "raw",
        Behaviour(kind="mid_stream_error", status=429, after_chunks=1),
        Behaviour(kind="http_error", status=503, retry_after=1.5),
    )
    hdrs = {"Authorization": "Bearer k", "X-DashScope-SSE": "enable"}
    raw = await asyncio.to_thread(_raw_post, emu.port, "raw", {"input": {"prompt": "hi"}}, hdrs)
    events = _dechunk(raw.split(b"\r\n\r\n", 1)[1])
    assert len(events) == 2
    m = re.fullmatch(r"id:2\nevent:error\n:HTTP_STATUS/429\ndata:(\{.*\})\n\n", events[1].decode())
    assert m and json.loads(m.group(1))["code"] == "Throttling.RateQuota"
    raw = await asyncio.to_thread(_raw_post, emu.port, "raw", {"input": {"prompt": "hi"}}, hdrs)
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 503 ") and b"\r\nRetry-After: 1.5" in head
    assert b"Content-Type: application/json" in head
    assert set(json.loads(body)) == {"request_id", "code", "message"}


async def test_auth_404_405_and_control_endpoints(emu: Emulator) -> None:
    async with httpx.AsyncClient(base_url=emu.origin) as http:
        r = await http.post("/api/v1/apps/a/completion", json={"input": {"prompt": "x"}})
        assert r.status_code == 401 and r.json()["code"] == "InvalidApiKey"
        r = await http.post("/api/v1/nope", json={})
        assert r.status_code == 404 and r.json()["code"] == "NotFound"
        r = await http.get("/api/v1/apps/a/completion")
        assert r.status_code == 405
        r = await http.post(
            "/_emulator/script",
            json={"app_id": "c", "behaviours": [{"kind": "http_error", "status": 429}, "drop"]},
        )
        assert r.json() == {"app_id": "c", "queued": 2}
        r = await http.post("/_emulator/script", json={"app_id": "c", "behaviours": [{"kind": "nope"}]})
        assert r.status_code == 400
        r = await http.post(
            "/api/v1/apps/c/completion",
            json={"input": {"prompt": "x"}},
            headers={"Authorization": "Bearer k"},
        )
        assert r.status_code == 429
        r = await http.get("/_emulator/requests")
        log = r.json()
        assert [x["status"] for x in log] == [401, 429]  # the 401 did not consume the script
        assert log[1]["behaviour"]["kind"] == "http_error" and log[1]["body"] == {"input": {"prompt": "x"}}
        assert (await http.post("/_emulator/reset")).json() == {"ok": True}
        assert (await http.get("/_emulator/requests")).json() == [] and emu.pending("c") == 0


async def test_keep_alive_with_own_httpx_client(emu: Emulator) -> None:
    # The engineer's setup: the 2.0 AsyncClient over its own pooled httpx.AsyncClient.
    # Surprise: with http_client= the SDK applies NEITHER its base_url NOR its api_key to that
    # client -- the httpx client needs base_url, and the key must ride per call (api_key=) or
    # as a default header on the httpx client.
    async with httpx.AsyncClient(base_url=emu.base_url, timeout=5) as http:
        client = dashscope.AsyncClient(api_key=KEY, base_url=emu.base_url, max_retries=0, http_client=http)
        with pytest.raises(v2errors.AuthenticationError):
            await client.apps.completions.create(app_id=CHAT, prompt="x")
        assert "authorization" not in emu.requests[0].headers
        for i in range(3):
            evs = await v2_collect(client, prompt=f"台费{i}", api_key=KEY)
            assert evs[-1].finish_reason == "stop"
            resp = await client.apps.completions.create(app_id=CHAT, prompt="会员", api_key=KEY)
            assert resp.finish_reason == "stop"
        emu.script(CHAT, Behaviour(kind="http_error", status=500))
        with pytest.raises(v2errors.InternalServerError):
            await client.apps.completions.create(app_id=CHAT, prompt="x", api_key=KEY)
        await v2_collect(client, api_key=KEY)
    assert emu.connections_opened == 1  # one pooled keep-alive connection for all 9 requests
    assert len(emu.requests) == 9
    assert all(r.finished and not r.client_closed for r in emu.requests)


# -- 1.x SDK: dashscope.Application.call --------------------------------------------------


def test_v1_stream_incremental(temu: Emulator) -> None:
    out = list(v1_stream(temu, session_id="abc123"))
    assert all(r.status_code == 200 for r in out) and len(out) == 5
    assert [r.output.finish_reason for r in out] == ["null"] * 4 + ["stop"]
    assert "".join(r.output.text for r in out) == default_reply(CHAT, PROMPT, None)
    assert all(r.output.session_id == "abc123" for r in out)
    assert all(r.usage.models is None for r in out[:-1])
    (m,) = out[-1].usage.models
    assert m.model_id == "qwen-plus" and m.input_tokens > 0 and m.output_tokens > 0
    (rec,) = temu.requests_for(CHAT)
    assert rec.stream and rec.finished and rec.chunks_sent == 5 and rec.body["input"]["prompt"] == PROMPT
    assert rec.headers["authorization"] == f"Bearer {KEY}" and rec.body["model"] == ""


def test_v1_stream_cumulative_and_the_incremental_false_rewrite(temu: Emulator) -> None:
    temu.script(
        CHAT, Behaviour(chunks=4, text="一二三四五六七八"), Behaviour(chunks=4, text="一二三四五六七八")
    )
    out = list(v1_stream(temu, incremental_output=None))  # left unset: server accumulates
    assert [r.output.text for r in out] == ["一二", "一二三四", "一二三四五六", "一二三四五六七八"]
    sid = out[0].output.session_id
    assert re.fullmatch(r"[0-9a-f]{32}", sid) and {r.output.session_id for r in out} == {sid}
    out = list(v1_stream(temu, incremental_output=False))  # SDK sends true and merges itself
    assert [r.output.text for r in out] == ["一二", "一二三四", "一二三四五六", "一二三四五六七八"]
    recs = temu.requests_for(CHAT)
    assert "incremental_output" not in recs[0].body["parameters"]
    assert recs[1].body["parameters"]["incremental_output"] is True


def test_v1_non_stream(temu: Emulator) -> None:
    r = v1_call(temu, app_id="emu-app2_finance", prompt="本周营收", session_id="s1")
    assert r.status_code == 200 and r.output.finish_reason == "stop" and r.output.session_id == "s1"
    output_models()["app2_finance"].model_validate_json(r.output.text)
    assert r.usage.models[0].output_tokens > 0 and r.request_id
    assert not temu.requests[0].stream


def test_v1_http_errors_are_values(temu: Emulator) -> None:
    temu.script(
        CHAT,
        Behaviour(kind="http_error", status=429, retry_after=3),
        Behaviour(kind="http_error", status=500),
    )
    r = v1_call(temu)
    assert (r.status_code, r.code, r.output) == (429, "Throttling.RateQuota", None)
    assert r.message and r.request_id
    (r,) = list(v1_stream(temu))
    assert (r.status_code, r.code) == (500, "InternalError")
    temu.script(CHAT, Behaviour(kind="http_error", status=401, code="InvalidApiKey"))
    assert v1_call(temu).code == "InvalidApiKey"


def test_v1_mid_stream_error_reports_400(temu: Emulator) -> None:
    temu.script(CHAT, Behaviour(kind="mid_stream_error", status=429, after_chunks=2))
    out = list(v1_stream(temu))
    assert [r.status_code for r in out] == [200, 200, 400]  # the real status is only in a comment
    assert out[-1].code == "Throttling.RateQuota" and out[-1].output is None
    rec = temu.requests_for(CHAT)[0]
    assert rec.finished and rec.chunks_sent == 3


def test_v1_truncate_ends_silently(temu: Emulator) -> None:
    temu.script(CHAT, Behaviour(kind="truncate", after_chunks=3), Behaviour(kind="truncate", after_chunks=0))
    out = list(v1_stream(temu))
    assert len(out) == 3 and all(r.output.finish_reason == "null" for r in out)
    assert list(v1_stream(temu)) == []
    r = v1_call(temu, app_id="t2")  # default behaviour for another app id: fine
    assert r.output.finish_reason == "stop"
    temu.script(CHAT, Behaviour(kind="truncate", after_chunks=2, chunks=4, text="一二三四五六七八"))
    r = v1_call(temu)
    assert (r.status_code, r.output.finish_reason, r.output.text) == (200, "null", "一二三四")


def test_v1_drop_raises_chunked_encoding_error(temu: Emulator) -> None:
    temu.script(CHAT, Behaviour(kind="drop", after_chunks=2), Behaviour(kind="drop"))
    got = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for r in v1_stream(temu):
            got.append(r.output.text)
    assert len(got) == 2
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # non-stream: body cut, RST
        v1_call(temu)
    recs = temu.requests_for(CHAT)
    assert [r.finished or r.client_closed for r in recs] == [False, False]


def test_v1_drop_before_response_is_resent_once(temu: Emulator) -> None:
    temu.script(CHAT, "drop_before_response", "drop_before_response")
    with pytest.raises(requests.exceptions.ConnectionError):
        list(v1_stream(temu))
    assert len(temu.requests_for(CHAT)) == 2
    temu.reset()
    temu.script(CHAT, "drop_before_response")  # the hidden resend succeeds: a duplicate turn
    r = v1_call(temu)
    assert r.status_code == 200
    recs = temu.requests_for(CHAT)
    assert len(recs) == 2 and recs[0].body == recs[1].body and recs[1].finished


def test_v1_stall_times_out_and_client_close_is_seen(temu: Emulator) -> None:
    temu.script(CHAT, Behaviour(kind="stall", after_chunks=1))
    got = []
    with pytest.raises(
        requests.exceptions.ConnectionError
    ):  # ReadTimeout surfaces as ConnectionError mid-body
        for r in v1_stream(temu, request_timeout=0.4):
            got.append(r)
    assert len(got) == 1
    rec = temu.requests_for(CHAT)[0]
    assert temu.wait_closed_blocking(rec, 3), rec
    assert not rec.finished and rec.chunks_sent == 1 and rec.behaviour.stall_seconds is None
    temu.script(CHAT, Behaviour(kind="stall"))
    with pytest.raises(requests.exceptions.ReadTimeout):  # non-stream: nothing ever arrives
        v1_call(temu, request_timeout=0.3)


def test_v1_invalid_json_no_output_fenced(temu: Emulator) -> None:
    temu.script(CHAT, Behaviour(kind="invalid_json", after_chunks=1, chunks=3))
    out = list(v1_stream(temu))
    assert [r.status_code for r in out] == [200, 400, 200, 200] and out[1].code == "Unknown"
    assert out[-1].output.finish_reason == "stop"
    temu.script(CHAT, Behaviour(kind="invalid_json"))
    with pytest.raises(requests.exceptions.JSONDecodeError):
        v1_call(temu)
    temu.script(CHAT, Behaviour(kind="no_output"))
    with pytest.raises(TypeError):  # ApplicationOutput(**None)
        v1_call(temu)
    temu.script(CHAT, Behaviour(kind="no_output", after_chunks=1))
    with pytest.raises(TypeError):
        list(v1_stream(temu))
    temu.script("emu-app5_tactics", Behaviour(kind="fenced_json"))
    r = v1_call(temu, app_id="emu-app5_tactics")
    assert r.output.text.startswith("```json\n{") and r.output.text.endswith("}\n```")
    output_models()["app5_tactics"].model_validate_json(r.output.text[8:-4])


def test_v1_early_break_closes_connection(temu: Emulator) -> None:
    temu.script(CHAT, Behaviour(chunks=20, chunk_delay=0.05))
    gen = v1_stream(temu)
    next(gen)
    gen.close()  # the SDK's response goes out of scope with the generator
    rec = temu.wait_for_requests_blocking(1, CHAT)[0]
    assert temu.wait_closed_blocking(rec, 3) and rec.chunks_sent < 20 and not rec.finished


# -- 2.0 SDK: dashscope.AsyncClient ---------------------------------------------------------


async def test_v2_stream_ok(emu: Emulator) -> None:
    async with v2(emu) as client:
        evs = await v2_collect(client, session_id="sess-1")
        assert [e.finish_reason for e in evs] == ["null"] * 4 + ["stop"]
        assert "".join(e.text for e in evs) == default_reply(CHAT, PROMPT, None)
        assert {e.session_id for e in evs} == {"sess-1"}
        assert all(e.usage is None for e in evs[:-1])
        assert evs[-1].usage.models[0].model_id == "qwen-plus" and evs[-1].usage.models[0].output_tokens > 0
        cum = await v2_collect(client, incremental_output=None)
        assert cum[-1].text == default_reply(CHAT, PROMPT, None) and cum[0].text in cum[-1].text
    (rec, _) = emu.requests_for(CHAT)
    assert rec.headers["x-dashscope-sse"] == "enable" and "model" not in rec.body


async def test_v2_non_stream_ok(emu: Emulator) -> None:
    emu.script(
        "emu-app7_customer_insight",
        Behaviour(latency=0.05, model_id="qwen-max", input_tokens=7, output_tokens=9),
    )
    async with v2(emu) as client:
        r = await client.apps.completions.create(app_id="emu-app7_customer_insight", prompt="客户画像")
    assert r.finish_reason == "stop" and re.fullmatch(r"[0-9a-f]{32}", r.session_id)
    output_models()["app7_customer_insight"].model_validate_json(r.text)
    assert r.usage.models[0].model_dump() == {"model_id": "qwen-max", "input_tokens": 7, "output_tokens": 9}
    assert r.headers["x-request-id"] == r.request_id


@pytest.mark.parametrize("stream", [False, True])
async def test_v2_http_errors_are_typed(emu: Emulator, stream: bool) -> None:
    emu.script(
        CHAT,
        Behaviour(kind="http_error", status=429, retry_after=7),
        Behaviour(kind="http_error", status=500),
        Behaviour(kind="http_error", status=401, code="InvalidApiKey"),
        Behaviour(kind="http_error", status=400, code="DataInspectionFailed"),
    )

    async def call():
        if stream:
            return await v2_collect(client)
        return await client.apps.completions.create(app_id=CHAT, prompt=PROMPT)

    async with v2(emu) as client:
        with pytest.raises(v2errors.RateLimitError) as ei:
            await call()
        assert ei.value.status_code == 429 and ei.value.code == "Throttling.RateQuota"
        assert ei.value.headers["Retry-After"] == "7" and ei.value.request_id
        with pytest.raises(v2errors.InternalServerError):
            await call()
        with pytest.raises(v2errors.AuthenticationError):
            await call()
        with pytest.raises(v2errors.ContentFilterError):
            await call()
    assert len(emu.requests) == 4  # max_retries=0: no hidden retries


async def test_v2_mid_stream_error_raises_with_status_200(emu: Emulator) -> None:
    emu.script(
        CHAT,
        Behaviour(kind="mid_stream_error", status=429, after_chunks=2),
        Behaviour(kind="mid_stream_error", status=503, after_chunks=0),
    )
    async with v2(emu) as client:
        stream = await client.apps.completions.create(app_id=CHAT, prompt=PROMPT, stream=True)
        got = []
        with pytest.raises(v2errors.RateLimitError) as ei:
            async for ev in stream:
                got.append(ev)
        assert len(got) == 2 and ei.value.status_code == 200 and ei.value.code == "Throttling.RateQuota"
        with pytest.raises(v2errors.DashScopeError) as ei:  # unmapped code -> the base class
            await v2_collect(client)
        assert type(ei.value) is v2errors.DashScopeError and ei.value.code == "ModelUnavailable"
        emu.script(CHAT, Behaviour(kind="mid_stream_error", status=503))  # non-stream: plain HTTP error
        with pytest.raises(v2errors.ServiceUnavailableError):
            await client.apps.completions.create(app_id=CHAT, prompt=PROMPT)


async def test_v2_truncate_and_drop(emu: Emulator) -> None:
    emu.script(
        CHAT,
        Behaviour(kind="truncate", after_chunks=2),
        Behaviour(kind="drop", after_chunks=2),
        Behaviour(kind="drop"),
    )
    async with v2(emu) as client:
        evs = await v2_collect(client)
        assert [e.finish_reason for e in evs] == ["null", "null"]  # no error: check for "stop"
        stream = await client.apps.completions.create(app_id=CHAT, prompt=PROMPT, stream=True)
        got = []
        with pytest.raises(httpx.TransportError):  # raw httpx error, not a DashScopeError
            async for ev in stream:
                got.append(ev)
        assert len(got) == 2
        with pytest.raises(v2errors.APIConnectionError):  # non-stream: mapped
            await client.apps.completions.create(app_id=CHAT, prompt=PROMPT)


async def test_v2_drop_before_response_is_not_resent(emu: Emulator) -> None:
    emu.script(CHAT, "drop_before_response", "drop_before_response")
    async with v2(emu) as client:
        with pytest.raises(v2errors.APIConnectionError):
            await v2_collect(client)
        with pytest.raises(v2errors.APIConnectionError):
            await client.apps.completions.create(app_id=CHAT, prompt=PROMPT)
    assert len(emu.requests) == 2


async def test_v2_stall_and_slow_headers_time_out(emu: Emulator) -> None:
    emu.script(
        CHAT,
        Behaviour(kind="stall", after_chunks=1),
        Behaviour(first_chunk_delay=5),
        Behaviour(kind="stall", after_chunks=0),
    )
    async with v2(emu) as client:
        stream = await client.apps.completions.create(app_id=CHAT, prompt=PROMPT, stream=True, timeout=0.3)
        got = []
        with pytest.raises(httpx.ReadTimeout):
            async for ev in stream:
                got.append(ev)
        assert len(got) == 1
        with pytest.raises(v2errors.APITimeoutError):  # headers never came: mapped
            await client.apps.completions.create(app_id=CHAT, prompt=PROMPT, stream=True, timeout=0.3)
        stream = await client.apps.completions.create(app_id=CHAT, prompt=PROMPT, stream=True, timeout=0.3)
        with pytest.raises(httpx.ReadTimeout):  # after_chunks=0: headers, then nothing
            await stream.__aiter__().__anext__()
    recs = emu.requests
    for rec in recs:
        assert await emu.wait_closed(rec, 3) and not rec.finished
    assert [r.chunks_sent for r in recs] == [1, 0, 0] and recs[2].status == 200


async def test_v2_stall_then_continues(emu: Emulator) -> None:
    emu.script(CHAT, Behaviour(kind="stall", after_chunks=2, stall_seconds=0.2, chunks=4))
    async with v2(emu) as client:
        t0 = time.monotonic()
        evs = await v2_collect(client)
    assert len(evs) == 4 and evs[-1].finish_reason == "stop" and time.monotonic() - t0 >= 0.2


async def test_v2_client_closed_when_consumer_stops_early(emu: Emulator) -> None:
    emu.script(CHAT, Behaviour(chunks=20, chunk_delay=0.05))
    async with v2(emu) as client:
        stream = await client.apps.completions.create(app_id=CHAT, prompt=PROMPT, stream=True)
        async for _ in stream:
            break
        await stream.aclose()
        (rec,) = emu.requests
        assert await emu.wait_closed(rec, 2)
        assert rec.client_closed and not rec.finished and rec.chunks_sent < 5
        evs = await v2_collect(client)  # the server is fine afterwards
        assert evs[-1].finish_reason == "stop"


async def test_v2_invalid_json_and_no_output_pass_silently(emu: Emulator) -> None:
    emu.script(
        CHAT,
        Behaviour(kind="invalid_json", after_chunks=1, chunks=2),
        Behaviour(kind="no_output", after_chunks=1),
        Behaviour(kind="no_output"),
        Behaviour(kind="invalid_json"),
    )
    async with v2(emu) as client:
        evs = await v2_collect(client)
        assert len(evs) == 3 and evs[1].text is None and evs[1].finish_reason is None and not evs[1].is_error
        evs = await v2_collect(client)
        assert evs[-1].text is None and evs[-1].usage.models and evs[-1].request_id
        r = await client.apps.completions.create(app_id=CHAT, prompt=PROMPT)
        assert r.text is None and r.usage.models[0].output_tokens > 0
        with pytest.raises(json.JSONDecodeError):
            await client.apps.completions.create(app_id=CHAT, prompt=PROMPT)


async def test_v2_text_kind_and_accept_header_alone(emu: Emulator) -> None:
    emu.script(CHAT, Behaviour(kind="text", text="好的", chunks=2))
    async with v2(emu) as client:
        evs = await v2_collect(client)
    assert [e.text for e in evs] == ["好", "的"]
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        r = await http.post(
            f"/apps/{CHAT}/completion",
            json={"input": {"prompt": "x"}},
            headers={"Authorization": "Bearer k", "Accept": "text/event-stream"},
        )
        assert r.headers["content-type"].startswith("text/event-stream") and r.text.count("event:result") == 5


# -- concurrency and pacing -----------------------------------------------------------------


async def test_200_concurrent_paced_streams_are_paced_and_served_side_by_side(emu: Emulator) -> None:
    # Emulator and 200 clients share this one event loop; the clients are raw asyncio sockets
    # (httpx itself cannot parse 4000 events/s on a small box, the emulator can send them).
    emu.default = Behaviour(first_chunk_delay=0.2, chunks=20, chunk_delay=0.05)
    body = json.dumps({"input": {"prompt": "夜场"}, "parameters": {"incremental_output": True}}).encode()
    request = (
        f"POST /api/v1/apps/{CHAT}/completion HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        f"X-DashScope-SSE: enable\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body

    async def one() -> tuple[float, float, int]:
        t0 = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        writer.write(request)
        buf, first = b"", 0.0
        while not buf.endswith(b"\r\n0\r\n\r\n"):
            data = await reader.read(65536)
            if not data:
                break
            first = first or time.monotonic() - t0
            buf += data
        writer.close()
        return first, time.monotonic() - t0, buf.count(b"\ndata:")

    results = await asyncio.gather(*(one() for _ in range(200)))
    ideal = 0.2 + 19 * 0.05
    assert all(n == 20 for _, _, n in results)
    assert min(f for f, _, _ in results) >= 0.19  # pacing is a floor: never early
    assert min(d for _, d, _ in results) >= ideal - 0.01
    assert len(emu.requests) == 200 and all(r.finished for r in emu.requests)
    # Served side by side, not in turn: counted from the emulator's records, not timed (a loaded
    # machine stretches every stream, but only a serial server would never hold two open at once).
    edges = sorted([(r.started_at, 1) for r in emu.requests] + [(r.ended_at, -1) for r in emu.requests])
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    assert peak >= 100, peak
    assert emu.connections_opened == 200


def test_max_stall_constant_is_sane() -> None:
    assert 60 <= MAX_STALL_SECONDS <= 300


# -- replies that agree with their prompt ----------------------------------------------------


def _totals(revenue: float) -> dict[str, float | None]:
    keys = ("table_revenue", "goods_revenue", "recharge", "consumption", "discount", "table_hours")
    return {**dict.fromkeys(keys, 1.0), "orders": 10, "customers": 5, "revenue": revenue,
            "avg_order_value": 1.0, "table_revenue_per_hour": 1.0}  # fmt: skip


def _change(now: float, before: float) -> dict[str, float | None]:
    return {
        "current": now,
        "previous": before,
        "change": now - before,
        "change_pct": (now - before) / before * 100,
    }


def _finance_prompt(now: float, before: float, areas: list[tuple[str, float, float]]) -> str:
    changes = {key: _change(1.0, 1.0) for key in app2.ALL_METRICS} | {"revenue": _change(now, before)}
    area_rows = [
        {"area": name, "current": _totals(a_now), "previous": _totals(a_before),
         "changes": changes | {"revenue": _change(a_now, a_before)}}
        for name, a_now, a_before in areas
    ]  # fmt: skip
    period = {"start": "2026-12-02", "end": "2026-12-08", "days": 7, "unit": "day"}
    figures = {
        "period": period, "previous_period": period, "days_with_data": 7, "previous_days_with_data": 7,
        "current": _totals(now), "previous": _totals(before), "changes": changes, "areas": area_rows,
    }  # fmt: skip
    view = {"site_id": "site-001", "day_start": "06:00", "figures": figures}
    return app2.prompt(FinanceFilter(range="last_7_days"), view).text


def test_finance_replies_quote_the_prompts_figures_and_the_digest_agrees() -> None:
    prompt = _finance_prompt(
        143637.64, 142687.84, [("大厅", 32033.83, 31749.17), ("中式八球区", 18805.5, 19532.94)]
    )
    insight = json.loads(default_reply("emu-app2_finance", prompt, None))
    assert insight["summary"].startswith("近7天营收143,638元，环比增长0.7%"), insight["summary"]
    details = " ".join(i["detail"] for i in insight["insights"])
    assert "中式八球区营收18,806元，环比下降3.7%" in details and "大厅营收32,034元，环比增长0.9%" in details
    digest_prompt = app2a.prompt(FinanceFilter(range="last_7_days"), insight).text
    digest = json.loads(default_reply("emu-app2a_finance_digest", digest_prompt, None))
    assert digest == {"headline": "近7天营收143,638元，环比增长0.7%", "tone": "neutral"}
    falling = json.loads(default_reply("emu-app2_finance", _finance_prompt(90000.0, 100000.0, []), None))
    assert "环比下降10.0%" in falling["summary"] and "增长" not in falling["summary"]


def test_record_replies_name_the_customer_of_the_prompt() -> None:
    customer = {"customer_id": "cu-1", "name": "罗先生", "registered_date": "2025-01-01"}
    clue = {"clue_id": "cl-1", "customer_id": "cu-1", "category": "包厢需求", "content": "周六想订包厢"}
    profile = {"business_date": "2026-12-08", "customer": customer, "visits": [], "purchases": [],
               "clues": [{"clue": clue, "follow_ups": []}, {"clue": {**clue, "clue_id": "cl-2"}, "follow_ups": []}],
               "staff": []}  # fmt: skip
    ref = CustomerRef(customer_id="cu-1")
    detail = {
        "business_date": "2026-12-08",
        "clue": clue,
        "customer": customer,
        "visits": [],
        "purchases": [],
    }
    for key, prompt in [
        ("app3_clue_detail", app3.prompt(app3.ClueRef(clue_id="cl-1"), detail)),
        ("app4_relationship", app4.prompt(ref, profile)),
        (
            "app5_tactics",
            app5.prompt(app5.TacticsInput(customer_id="cu-1", goal="促成会员充值"), profile),
        ),
        ("app8_clue_consolidation", app8.prompt(ref, profile)),
    ]:
        text = default_reply(f"emu-{key}", prompt.text, None)
        output_models()[key].model_validate(json.loads(text))
        assert "罗先生" in text, (key, text)
        assert not any(other in text for other in ("王先生", "陈先生", "王哥", "张先生")), (key, text)
    merged = json.loads(default_reply("emu-app8_clue_consolidation", app8.prompt(ref, profile).text, None))
    assert (len(merged["merged"]), merged["removed_duplicates"]) == (1, 1)
    note = app6.prompt(app6.NoteInput(note="罗先生周六想带同事来包厢团建，还问了会员充值"))
    clues = json.loads(default_reply("emu-app6_note_analysis", note.text, None))["clues"]
    assert [c["category"] for c in clues] == ["包厢需求", "会员意向"]
