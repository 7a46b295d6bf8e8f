"""The chat Web function over real HTTP: SSE contract, storage of turns, sessions, faults."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from support import CHAT_APP_ID, make_settings, named, parse_frames, serve_app

from bailian_fc.chat.function import create_app
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import Behaviour


@pytest.fixture
async def chat(emulator, tmp_path):
    """(base_url, app) of a chat function on a real port, backed by the emulator and a file store."""
    holder: dict[str, Any] = {}

    async def start(clock: Any = time.time, **overrides: Any) -> str:
        app = create_app(make_settings(emulator, tmp_path, **overrides), clock=clock)
        cm = serve_app(app)
        holder.setdefault("cms", []).append(cm)
        holder["app"] = app
        return await cm.__aenter__()

    yield start, holder
    for cm in reversed(holder.get("cms", [])):
        await cm.__aexit__(None, None, None)


async def post_chat(base: str, token: str, body: Any, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        content = body if isinstance(body, bytes | str) else json.dumps(body)
        return await http.post(
            f"{base}/chat/messages",
            content=content,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            **kw,
        )


def stored_keys(tmp_path) -> list[str]:
    return FileStore(tmp_path / "store").list("chat/")


async def test_stream_sends_meta_then_deltas_then_done(chat, token, emulator):
    """A chat answers meta → delta… → done, with the emulator's text and usage."""
    start, _ = chat
    base = await start()
    resp = await post_chat(base, token, {"message": "今晚八点还有包厢吗？"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["x-accel-buffering"] == "no"
    assert "content-length" not in resp.headers
    assert resp.headers.get("transfer-encoding") == "chunked"
    events = parse_frames(resp.content)
    names = named(events)
    assert names[0] == "meta" and names[-1] == "done" and set(names[1:-1]) == {"delta"} and len(names) > 3
    meta, done = events[0].data, events[-1].data
    assert meta["conversation_id"].startswith("c") and meta["turn_id"].startswith("t")
    assert done["conversation_id"] == meta["conversation_id"] and done["turn_id"] == meta["turn_id"]
    assert done["finish_reason"] == "stop"
    assert done["usage"]["input_tokens"] > 0 and done["usage"]["output_tokens"] > 0
    answer = "".join(e.data["text"] for e in events if e.event == "delta")
    assert answer and any("\u4e00" <= ch <= "\u9fff" for ch in answer)
    upstream = emulator.requests_for(CHAT_APP_ID)
    assert len(upstream) == 1 and upstream[0].body["input"]["prompt"] == "今晚八点还有包厢吗？"


async def test_each_http_chunk_is_a_whole_sse_frame(chat, token, emulator):
    """Every chunk on the wire holds whole frames, so a miniprogram can buffer to blank lines."""
    start, _ = chat
    base = await start(chat_ping_seconds=0.05)
    emulator.script(CHAT_APP_ID, Behaviour(first_chunk_delay=0.12, chunks=6, chunk_delay=0.02))
    host, port = urlsplit(base).hostname, urlsplit(base).port
    reader, writer = await asyncio.open_connection(host, port)
    body = json.dumps({"message": "会员卡怎么充值？"}).encode()
    writer.write(
        b"POST /chat/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + token.encode()
        + b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        data = await reader.readexactly(size + 2)
        if size == 0:
            break
        chunks.append(data[:-2])
    writer.close()
    for chunk in chunks:
        parse_frames(chunk)  # raises unless the chunk is whole frames
    all_events = parse_frames(b"".join(chunks))
    assert any(e.comment == "ping" for e in all_events), "pings are sent while waiting for the first chunk"
    assert named(all_events)[-1] == "done"


async def test_pings_keep_the_stream_alive_while_upstream_is_silent(chat, token, emulator):
    """``: ping`` comments arrive while the model has not answered yet."""
    start, _ = chat
    base = await start(chat_ping_seconds=0.1)
    emulator.script(CHAT_APP_ID, Behaviour(first_chunk_delay=0.45))
    events = parse_frames((await post_chat(base, token, {"message": "在吗"})).content)
    first_delta = next(i for i, e in enumerate(events) if e.event == "delta")
    pings = [e for e in events[:first_delta] if e.comment == "ping"]
    assert len(pings) >= 2
    assert events[0].event == "meta", "meta goes out before any upstream byte"


async def test_turn_is_stored_with_tokens_and_session(chat, token, emulator, tmp_path):
    """A finished turn is stored whole and readable through the conversation routes."""
    start, _ = chat
    base = await start()
    events = parse_frames(
        (await post_chat(base, token, {"message": "夜场几点开始？", "context": {"page": "chat"}})).content
    )
    conv = events[0].data["conversation_id"]
    async with httpx.AsyncClient() as http:
        got = (
            await http.get(f"{base}/chat/conversations/{conv}", headers={"Authorization": f"Bearer {token}"})
        ).json()
        listed = (
            await http.get(f"{base}/chat/conversations", headers={"Authorization": f"Bearer {token}"})
        ).json()
    (turn,) = got["turns"]
    answer = "".join(e.data["text"] for e in events if e.event == "delta")
    assert turn["message"] == "夜场几点开始？" and turn["answer"] == answer
    assert turn["finish_reason"] == "stop" and turn["interrupted"] is False and turn["error_code"] is None
    assert turn["usage"]["output_tokens"] == events[-1].data["usage"]["output_tokens"] > 0
    assert turn["bailian_session_id"] and turn["session_turn"] == 1
    assert got["title"] == "夜场几点开始？"
    assert [c["conversation_id"] for c in listed["conversations"]] == [conv]
    sent = emulator.requests_for(CHAT_APP_ID)[0].body["input"]["biz_params"]["user_prompt_params"]
    clock = {k: sent.pop(k) for k in ("business_date", "now")}  # the site's clock (test below)
    assert sent == {"page": "chat", "site_id": "site-001"} and all(clock.values())
    store = FileStore(tmp_path / "store")
    (log,) = [store.get_json(k) for k in store.list("runlogs/")]
    assert log["app"] == "app1_chat" and log["status"] == "ok" and log["tokens"] == turn["usage"]
    assert log["latency_ms"]["upstream_ttfb"] is not None and log["user"] == "user-1"


async def test_second_turn_reuses_the_bailian_session(chat, token, emulator):
    """While the session is young and short, the next turn sends its session_id and the prompt only."""
    start, _ = chat
    base = await start()
    first = parse_frames((await post_chat(base, token, {"message": "你好"})).content)
    conv = first[0].data["conversation_id"]
    await post_chat(base, token, {"conversation_id": conv, "message": "包厢多少钱？"})
    bodies = [r.body["input"] for r in emulator.requests_for(CHAT_APP_ID)]
    assert "session_id" not in bodies[0]
    assert bodies[1]["session_id"] and bodies[1]["prompt"] == "包厢多少钱？" and "messages" not in bodies[1]


async def test_session_over_its_turn_limit_is_rebuilt_from_stored_turns(chat, token, emulator):
    """Past the turn limit the turn goes out as messages rebuilt from storage, and a new session starts."""
    start, _ = chat
    base = await start(chat_session_max_turns=2)
    conv = parse_frames((await post_chat(base, token, {"message": "第一句"})).content)[0].data[
        "conversation_id"
    ]
    await post_chat(base, token, {"conversation_id": conv, "message": "第二句"})
    await post_chat(base, token, {"conversation_id": conv, "message": "第三句"})
    third = emulator.requests_for(CHAT_APP_ID)[2].body["input"]
    assert "session_id" not in third
    roles = [(m["role"], m["content"]) for m in third["messages"]]
    assert (
        roles[0] == ("user", "第一句") and roles[2] == ("user", "第二句") and roles[-1] == ("user", "第三句")
    )
    assert [r for r, _ in roles] == ["user", "assistant", "user", "assistant", "user"]


async def test_session_older_than_its_lifetime_is_rebuilt(chat, token, emulator):
    """An expired cloud session is not reused: the context is rebuilt instead."""
    start, _ = chat
    now = [1_800_000_000.0]
    base = await start(clock=lambda: now[0], chat_session_max_age_seconds=600)
    conv = parse_frames((await post_chat(base, token, {"message": "第一句"})).content)[0].data[
        "conversation_id"
    ]
    now[0] += 601  # the injected clock moves past the session's lifetime; no real time passes
    await post_chat(base, token, {"conversation_id": conv, "message": "第二句"})
    second = emulator.requests_for(CHAT_APP_ID)[1].body["input"]
    assert "session_id" not in second and second["messages"][0]["content"] == "第一句"


async def test_upstream_error_becomes_an_error_event_and_is_stored(chat, token, emulator, tmp_path):
    """A refused call ends the stream with ``error`` (not ``done``) and the failed turn is kept."""
    start, _ = chat
    base = await start()
    emulator.script(CHAT_APP_ID, Behaviour(kind="http_error", status=401, code="InvalidApiKey"))
    resp = await post_chat(base, token, {"message": "你好"})
    events = parse_frames(resp.content)
    assert named(events) == ["meta", "error"]
    assert events[-1].data == {
        "code": "InvalidApiKey",
        "message": events[-1].data["message"],
        "retryable": False,
        "request_id": resp.headers["x-request-id"],
    }
    assert len(emulator.requests_for(CHAT_APP_ID)) == 1, "401 is never retried"
    (key,) = [k for k in stored_keys(tmp_path) if "/turns/" in k]
    assert json.loads(FileStore(tmp_path / "store").get(key))["error_code"] == "InvalidApiKey"


async def test_failure_before_the_first_byte_is_retried_invisibly(chat, token, emulator, tmp_path):
    """A 500 before any text is retried; the user sees one clean answer."""
    start, _ = chat
    base = await start()
    emulator.script(CHAT_APP_ID, Behaviour(kind="http_error", status=500, code="InternalError"), Behaviour())
    events = parse_frames((await post_chat(base, token, {"message": "你好"})).content)
    assert named(events)[-1] == "done"
    assert len(emulator.requests_for(CHAT_APP_ID)) == 2
    (key,) = [k for k in stored_keys(tmp_path) if "/turns/" in k]
    assert json.loads(FileStore(tmp_path / "store").get(key))["attempts"] == 2


async def test_error_after_text_is_not_retried(chat, token, emulator):
    """Once text reached the user, a mid-stream error ends the turn rather than repeating it."""
    start, _ = chat
    base = await start()
    emulator.script(CHAT_APP_ID, Behaviour(kind="mid_stream_error", after_chunks=2, code="InternalError"))
    events = parse_frames((await post_chat(base, token, {"message": "你好"})).content)
    assert named(events) == ["meta", "delta", "delta", "error"]
    assert events[-1].data["code"] == "InternalError"
    assert len(emulator.requests_for(CHAT_APP_ID)) == 1


async def test_disconnect_closes_upstream_and_stores_an_interrupted_turn(chat, token, emulator, tmp_path):
    """A client that goes away cancels the upstream call; the partial answer is kept as interrupted."""
    start, _ = chat
    base = await start()
    # Three chunks, then the upstream goes silent until its client leaves: whatever the machine's
    # speed, the only way the call can end is our disconnect, and exactly three chunks were sent.
    emulator.script(CHAT_APP_ID, Behaviour(kind="stall", after_chunks=3, stall_seconds=None))
    received = b""
    async with httpx.AsyncClient(timeout=60) as http:
        async with http.stream(
            "POST",
            f"{base}/chat/messages",
            json={"message": "讲讲斯诺克规则"},
            headers={"Authorization": f"Bearer {token}"},
        ) as resp:
            async for chunk in resp.aiter_raw():
                received += chunk
                if received.count(b"event: delta") >= 2:
                    break
    (record,) = emulator.requests_for(CHAT_APP_ID)
    assert await emulator.wait_closed(record, timeout=60), (
        "the upstream connection is closed when the client leaves"
    )
    assert record.chunks_sent == 3
    store = FileStore(tmp_path / "store")
    turn_keys = await wait_for(lambda: [k for k in store.list("chat/") if "/turns/" in k])
    turn = json.loads(store.get(turn_keys[0]))
    assert turn["interrupted"] is True and turn["finish_reason"] == "interrupted"
    seen = "".join(e.data["text"] for e in parse_frames(received) if e.event == "delta")
    assert seen and turn["answer"].startswith(seen)  # what the user saw is kept, nothing made up


async def test_fifty_concurrent_turns_to_one_conversation_are_all_kept(chat, token, emulator):
    """50 writers at once to one conversation: 50 turns, none lost or overwritten, stable order."""
    start, _ = chat
    base = await start()
    conv = parse_frames((await post_chat(base, token, {"message": "开始"})).content)[0].data[
        "conversation_id"
    ]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=60)) as http:

        async def one(i: int) -> list[Any]:
            r = await http.post(
                f"{base}/chat/messages",
                json={"conversation_id": conv, "message": f"第{i}条"},
                headers={"Authorization": f"Bearer {token}"},
            )
            return parse_frames(r.content)

        results = await asyncio.gather(*(one(i) for i in range(50)))
        assert all(named(ev)[-1] == "done" for ev in results)
        got = (
            await http.get(
                f"{base}/chat/conversations/{conv}?limit=100", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
        again = (
            await http.get(
                f"{base}/chat/conversations/{conv}?limit=100", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
    turns = got["turns"]
    assert len(turns) == 51
    assert {t["message"] for t in turns[1:]} | {turns[0]["message"]} == {
        "开始",
        *(f"第{i}条" for i in range(50)),
    }
    assert len({t["turn_id"] for t in turns}) == 51
    assert (
        [t["turn_id"] for t in turns]
        == [t["turn_id"] for t in again["turns"]]
        == sorted((t["turn_id"] for t in turns), reverse=True)  # newest first
    )


async def test_conversations_are_private_to_their_user(chat, token, auth, emulator):
    """Another user (or site) gets 404 for a conversation it does not own; delete removes it."""
    start, _ = chat
    base = await start()
    conv = parse_frames((await post_chat(base, token, {"message": "你好"})).content)[0].data[
        "conversation_id"
    ]
    other = auth.mint("user-2", "site-001", "staff")
    other_site = auth.mint("user-1", "site-002", "staff")
    async with httpx.AsyncClient() as http:
        for t in (other, other_site):
            assert (
                await http.get(f"{base}/chat/conversations/{conv}", headers={"Authorization": f"Bearer {t}"})
            ).status_code == 404
        resp = await post_chat(base, other, {"conversation_id": conv, "message": "偷看"})
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "ConversationNotFound"
        h = {"Authorization": f"Bearer {token}"}
        assert (await http.delete(f"{base}/chat/conversations/{conv}", headers=h)).status_code == 204
        assert (await http.get(f"{base}/chat/conversations/{conv}", headers=h)).status_code == 404
        assert (await http.delete(f"{base}/chat/conversations/{conv}", headers=h)).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not json", 400, "BadRequest"),
        (b"", 400, "BadRequest"),
        (b"[1, 2]", 400, "BadRequest"),
        ({"message": ""}, 400, "ValidationError"),
        ({"message": "   "}, 400, "ValidationError"),
        ({"message": "长" * 4001}, 400, "ValidationError"),
        ({"message": "x" * 5000}, 400, "ValidationError"),
        ({"message": 123}, 400, "ValidationError"),
        ({"message": "hi", "context": "home"}, 400, "ValidationError"),
        ({"message": "hi", "conversation_id": "../../etc"}, 400, "ValidationError"),
        ({"message": "hi", "site_id": "site-999"}, 400, "ValidationError"),
        ({"message": "x" * (1024 * 1024)}, 413, "PayloadTooLarge"),
        ({"message": "hi", "conversation_id": "c" + "0" * 22}, 404, "ConversationNotFound"),
    ],
)
async def test_bad_bodies_get_a_json_4xx_and_store_nothing(
    chat, token, emulator, tmp_path, body, status, code
):
    """Client mistakes are 4xx JSON errors; nothing reaches Bailian or the store."""
    start, _ = chat
    base = await start()
    resp = await post_chat(base, token, body)
    assert resp.status_code == status
    error = resp.json()["error"]
    assert error["code"] == code and error["request_id"]
    if code == "ValidationError":
        assert error["details"] and all("field" in d for d in error["details"])
    assert emulator.requests_for(CHAT_APP_ID) == []
    assert stored_keys(tmp_path) == []


@pytest.mark.parametrize(
    "case",
    ["missing", "not-bearer", "forged", "expired", "wrong-audience", "wrong-issuer", "no-site", "bad-role"],
)
async def test_requests_without_a_valid_token_are_refused(chat, emulator, tmp_path, case):
    """Every way a token can be wrong is a 401 with the JSON error shape, and nothing happens."""
    import jwt as pyjwt
    from support import SECRET

    now = int(time.time())
    good = {
        "sub": "u",
        "site_id": "s",
        "role": "staff",
        "iss": "bailian-fc",
        "aud": "bailian-fc",
        "exp": now + 60,
    }
    headers = {
        "missing": {},
        "not-bearer": {"Authorization": "Basic dTpw"},
        "forged": {
            "Authorization": "Bearer "
            + pyjwt.encode(good, "another-secret-of-sufficient-length-0123456789", algorithm="HS256")
        },
        "expired": {
            "Authorization": "Bearer " + pyjwt.encode({**good, "exp": now - 10}, SECRET, algorithm="HS256")
        },
        "wrong-audience": {
            "Authorization": "Bearer " + pyjwt.encode({**good, "aud": "other"}, SECRET, algorithm="HS256")
        },
        "wrong-issuer": {
            "Authorization": "Bearer " + pyjwt.encode({**good, "iss": "evil"}, SECRET, algorithm="HS256")
        },
        "no-site": {
            "Authorization": "Bearer "
            + pyjwt.encode({k: v for k, v in good.items() if k != "site_id"}, SECRET, algorithm="HS256")
        },
        "bad-role": {
            "Authorization": "Bearer " + pyjwt.encode({**good, "role": "root"}, SECRET, algorithm="HS256")
        },
    }[case]
    start, _ = chat
    base = await start()
    async with httpx.AsyncClient() as http:
        resp = await http.post(f"{base}/chat/messages", json={"message": "hi"}, headers=headers)
        listed = await http.get(f"{base}/chat/conversations", headers=headers)
    assert resp.status_code == 401 and listed.status_code == 401
    assert resp.json()["error"]["code"] == "Unauthorized"
    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert emulator.requests_for(CHAT_APP_ID) == [] and stored_keys(tmp_path) == []


async def test_none_algorithm_tokens_are_refused(chat, emulator):
    """HS256 is pinned: an unsigned ``alg: none`` token is not accepted."""
    import jwt as pyjwt

    start, _ = chat
    base = await start()
    unsigned = pyjwt.encode(
        {
            "sub": "u",
            "site_id": "s",
            "role": "admin",
            "iss": "bailian-fc",
            "aud": "bailian-fc",
            "exp": int(time.time()) + 60,
        },
        None,
        algorithm="none",
    )
    resp = await post_chat(base, unsigned, {"message": "hi"})
    assert resp.status_code == 401


async def test_runtime_hooks_and_unknown_routes(chat, emulator):
    """FC's /initialize, /pre-stop and /invoke answer 200; unknown paths and methods get JSON 404/405."""
    start, _ = chat
    base = await start()
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{base}/initialize")).status_code == 200
        assert (await http.get(f"{base}/pre-stop")).status_code == 200
        assert (await http.post(f"{base}/invoke", content=b"{}")).json()["status"] == "ok"
        missing = await http.get(f"{base}/chat/nothing")
        wrong = await http.put(f"{base}/chat/messages")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "MethodNotAllowed"


async def test_store_outage_is_a_503_not_a_500(emulator, tmp_path, token):
    """When storage fails the client gets 503 StoreUnavailable with the JSON error shape."""
    from bailian_fc.store import StoreUnavailable

    class DownStore(FileStore):
        def list_page(self, *a: Any, **kw: Any) -> list[str]:
            raise StoreUnavailable("store timed out after 3 attempts")

        def get(self, key: str) -> bytes | None:
            raise StoreUnavailable("store timed out after 3 attempts")

    app = create_app(make_settings(emulator, tmp_path), store=DownStore(tmp_path / "down"))
    async with serve_app(app) as base, httpx.AsyncClient() as http:
        h = {"Authorization": f"Bearer {token}"}
        listed = await http.get(f"{base}/chat/conversations", headers=h)
        posted = await http.post(
            f"{base}/chat/messages", headers=h, json={"message": "hi", "conversation_id": "c" + "0" * 22}
        )
    for resp in (listed, posted):
        assert resp.status_code == 503 and resp.json()["error"]["code"] == "StoreUnavailable"
        assert "timed out" not in resp.text, "internal detail stays in the log"


async def test_missing_api_key_is_a_json_503_before_any_stream(emulator, tmp_path, token):
    """Without DASHSCOPE_API_KEY the chat answers 503 JSON instead of opening a stream."""
    app = create_app(make_settings(emulator, tmp_path, dashscope_api_key=None))
    async with serve_app(app) as base:
        resp = await post_chat(base, token, {"message": "你好"})
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "UpstreamNotConfigured"
    assert stored_keys(tmp_path) == []


async def test_an_unexpected_failure_mid_turn_still_ends_with_an_error_frame(
    chat, token, emulator, tmp_path, monkeypatch
):
    """A bug while streaming ends the stream with `error` (InternalError) and the turn is kept."""
    from bailian_fc.bailian import client as client_module

    start, _ = chat
    base = await start()

    def broken(self, event):
        raise RuntimeError("boom")

    monkeypatch.setattr(client_module.AppStream, "_absorb", broken)
    events = parse_frames((await post_chat(base, token, {"message": "你好"})).content)
    assert named(events) == ["meta", "error"] and events[-1].data["code"] == "InternalError"
    assert "boom" not in json.dumps(events[-1].data)
    (key,) = [k for k in stored_keys(tmp_path) if "/turns/" in k]
    assert json.loads(FileStore(tmp_path / "store").get(key))["error_code"] == "InternalError"


async def test_a_conversation_is_read_in_pages_of_turns_newest_first(chat, token):
    start, _ = chat
    base = await start()
    h = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=20, headers=h) as http:
        first = parse_frames((await http.post("/chat/messages", json={"message": "问0"})).content)
        conv = first[0].data["conversation_id"]
        for i in range(1, 5):
            await http.post("/chat/messages", json={"message": f"问{i}", "conversation_id": conv})
        pages, before = [], None
        while True:
            query = {"limit": "2", **({"before": before} if before else {})}
            page = (await http.get(f"/chat/conversations/{conv}", params=query)).json()
            pages.append([t["message"] for t in page["turns"]])
            before = page["next_before"]
            if before is None:
                break
        default = (await http.get(f"/chat/conversations/{conv}")).json()
        bad = [
            await http.get(f"/chat/conversations/{conv}", params=q)
            for q in ({"before": "x"}, {"limit": "0"}, {"limit": "101"}, {"before": conv})
        ]
    assert pages == [["问4", "问3"], ["问2", "问1"], ["问0"]]
    assert [t["message"] for t in default["turns"]] == ["问4", "问3", "问2", "问1", "问0"]
    assert default["next_before"] is None and default["title"] == "问0"
    assert [r.status_code for r in bad] == [400] * 4


async def wait_for(probe: Any, timeout: float = 60) -> Any:
    """``probe()``'s first truthy value; the timeout only stops a broken test from hanging."""
    for _ in range(int(timeout / 0.02)):
        if found := probe():
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("the awaited event never happened")
