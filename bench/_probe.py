"""One bench measurement inside one tree's interpreter (this tree's or a baseline's, see _trees.py).

Only the port and the functions' entry points are used, so the same probe runs on any release.
Store operations are counted by ``shared/bailian_fc/store/counting.py`` of *this* repo, loaded by
path so that it wraps the measured tree's ``Store``. Prints one JSON line.

    python bench/_probe.py chat-ops    one new-conversation turn and one follow-up, counted
    python bench/_probe.py apps-hit    a warm apps cache hit: p50 over PROBE_N, and one counted
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TREE = Path(os.environ["PROBE_TREE"])
SECRET = os.environ.get("AUTH_JWT_SECRET", "")


def counting_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_bench_counting", HERE.parent / "shared/bailian_fc/store/counting.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_of(*names: str) -> Any:
    """``module:attr`` from the first name this tree has (modules moved between releases)."""
    for name in names:
        module, attr = name.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(names)


def where() -> str:
    import bailian_fc

    path = Path(next(iter(bailian_fc.__path__))).resolve()  # older trees: a namespace package
    if not path.is_relative_to(TREE):
        raise SystemExit(f"bailian_fc imported from {path}, not from {TREE}")
    return str(path)


async def chat_turn(
    service: Any, store: Any, conversation_id: str | None
) -> tuple[dict[str, Any], dict[str, Any], str]:
    from bailian_fc.auth import Principal

    ChatRequest = first_of("bailian_fc.catalogue.chat:ChatRequest", "bailian_fc.chat.models:ChatRequest")
    store.reset()
    principal = Principal(sub="bench", site_id="site-001", role="staff")
    turn = await service.start_turn(
        principal, ChatRequest(message="包厢今晚还有空位吗？", conversation_id=conversation_id)
    )
    before: dict[str, Any] = {}
    events: list[tuple[str, dict[str, Any]]] = []

    async def emit(event: Any, data: Any = None) -> None:
        if data is None:  # a typed frame (chat/events.py); older releases pass (name, data)
            data = event.model_dump() if hasattr(event, "model_dump") else {}
            event = getattr(event, "event", "delta")
        if event == "meta":
            before.update(store.figures())
        events.append((event, data if isinstance(data, dict) else {}))

    await turn.run(emit)
    assert events[-1][0] == "done", events[-3:]
    return before, store.figures(), events[0][1]["conversation_id"]


def chat_ops() -> dict[str, Any]:
    from bailian_fc.chat.service import ChatService

    BailianClient = first_of("bailian_fc.bailian.client:BailianClient", "bailian_fc.client:BailianClient")
    ConversationStore = first_of(
        "bailian_fc.chat.conversations:ConversationStore", "bailian_fc.conversations:ConversationStore"
    )
    from bailian_fc.settings import Settings
    from bailian_fc.store import open_store

    settings = Settings.from_env()
    store = counting_module().CountingStore(open_store(settings.store_url))

    async def go() -> dict[str, Any]:
        client = BailianClient.from_settings(settings)
        service = ChatService(
            conversations=ConversationStore(store), settings=settings, client=lambda: client
        )
        new_before, new_total, conv = await chat_turn(service, store, None)
        next_before, next_total, _ = await chat_turn(service, store, conv)
        await client.aclose()
        return {
            "new_conversation": {"before_meta": new_before, "turn": new_total},
            "next_turn": {"before_meta": next_before, "turn": next_total},
        }

    return asyncio.run(go())


def apps_event(token: str) -> bytes:
    path = "/apps/app6_note_analysis"
    raw = json.dumps({"note": "王先生下周想带同事团建，要三个包厢，问能不能打折。"}).encode()
    return json.dumps(
        {
            "version": "v1",
            "rawPath": path,
            "headers": {"Authorization": f"Bearer {token}"},
            "queryParameters": {},
            "body": base64.b64encode(raw).decode(),
            "isBase64Encoded": True,
            "requestContext": {"requestId": "bench", "http": {"method": "POST", "path": path}},
        }
    ).encode()


def apps_hit() -> dict[str, Any]:
    import bailian_fc.store as store_pkg

    counting = counting_module()
    opened: list[Any] = []
    original = store_pkg.open_store

    def open_counted(url: str) -> Any:
        opened.append(counting.CountingStore(original(url), serial=False))
        return opened[-1]

    store_pkg.open_store = open_counted
    sys.path.insert(0, str(TREE / "functions" / "apps"))
    import index  # the function's entry point, as FC imports it

    for name, module in list(sys.modules.items()):
        if name.startswith("bailian_fc") and getattr(module, "open_store", None) is original:
            module.open_store = open_counted  # type: ignore[attr-defined]
    from bailian_fc.auth import Authenticator

    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("bench", "site-001", "manager")
    event = apps_event(token)
    first = index.handler(event, None)
    assert first["statusCode"] == 200, first
    times = []
    for _ in range(int(os.environ.get("PROBE_N", "300"))):
        started = time.perf_counter()
        index.handler(event, None)
        times.append((time.perf_counter() - started) * 1000)
    store = opened[-1]
    store.serial = True
    store.reset()
    out = index.handler(event, None)
    assert json.loads(base64.b64decode(out["body"]) if out.get("isBase64Encoded") else out["body"])["cached"]
    return {"warm_hit_p50_ms": round(statistics.median(times), 3), "ops_per_hit": store.figures()}


if __name__ == "__main__":
    where()
    mode = sys.argv[1]
    result = {"chat-ops": chat_ops, "apps-hit": apps_hit}[mode]()
    print(json.dumps(result))
