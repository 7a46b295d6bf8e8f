"""What a request costs the store, counted (never timed): operations and serial round trips.

``CountingStore`` counts a ``Store.gather`` as one round trip (its longest call), everything else
one per operation, with ``newest`` as the object stores do it (a listing, then the reads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from support import SECRET, fc_call, make_settings

from bailian_fc.apps import function as apps_function
from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator, Principal
from bailian_fc.bailian.client import BailianClient
from bailian_fc.catalogue.chat import ChatRequest
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.chat.service import ChatService
from bailian_fc.store import FileStore
from bailian_fc.store.counting import CountingStore
from bailian_fc_tools.emulator import EmulatorThread

PRINCIPAL = Principal(sub="u-1", site_id="site-001", role="staff")


@pytest.fixture(scope="module")
def emulator() -> Any:
    with EmulatorThread() as emu:
        yield emu


async def chat_turn(
    service: ChatService, store: CountingStore, conversation_id: str | None
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(figures when ``meta`` is sent, figures of the whole turn, conversation id)."""
    store.reset()
    turn = await service.start_turn(
        PRINCIPAL, ChatRequest(message="还有包厢吗？", conversation_id=conversation_id)
    )
    at_meta: dict[str, Any] = {}
    events: list[str] = []

    async def emit(frame: Any) -> None:
        name = frame.event
        if name == "meta":
            at_meta.update(store.figures())
        events.append(name)

    await turn.run(emit)
    assert events[0] == "meta" and events[-1] == "done", events
    return at_meta, store.figures(), turn.conversation_id


def test_a_chat_turn_makes_one_round_trip_before_meta_and_a_bounded_number_in_all(
    emulator: Any, tmp_path: Path
) -> None:
    settings = make_settings(emulator, tmp_path)
    store = CountingStore(FileStore(tmp_path / "store"))

    async def two_turns() -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        client = BailianClient.from_settings(settings)
        service = ChatService(
            conversations=ConversationStore(store), settings=settings, client=lambda: client
        )
        first = await chat_turn(service, store, None)
        second = await chat_turn(service, store, first[2])
        await client.aclose()
        return [first, second]

    (first_meta, first, _), (second_meta, second, _) = anyio.run(two_turns)
    # Pending turn, provisional index entry and meta created together, the day's count beside them.
    assert first_meta["round_trips"] == 1
    assert (first_meta["writes"], first_meta["list"], first_meta["get"]) == (3, 1, 0)
    # Then: turn, entry and meta together; the replaced entry and the tombstone check; the run log
    # (record and two index entries, plus this process's one-time index marker) together.
    assert first["round_trips"] == 4
    assert first["writes"] == 3 + 3 + 1 + 4
    # Next turn: the pending turn, with meta, tombstone and turn count read beside it.
    assert second_meta["round_trips"] == 1
    assert (second_meta["writes"], second_meta["get"], second_meta["list"]) == (1, 1, 2)
    # Then the last turns (a listing, then their reads together), the two saves, the run log.
    assert second["round_trips"] == 1 + 2 + 2 + 1
    assert second["writes"] == 1 + 3 + 1 + 3


def test_an_apps_cache_hit_reads_once_and_logs_in_one_round_trip(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    settings = make_settings(emulator, tmp_path)
    store = CountingStore(FileStore(tmp_path / "store"))
    runtime = AppsFunction.build(settings, store)
    apps_function.configure(runtime)
    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("m-1", "site-001", "manager")
    body = {"note": "王先生想订三个包厢。"}
    try:
        status, answer = fc_call(
            apps_function.handler, "POST", "/apps/app6_note_analysis", body=body, token=token
        )
        assert status == 200 and not answer["cached"]
        store.reset()
        status, answer = fc_call(
            apps_function.handler, "POST", "/apps/app6_note_analysis", body=body, token=token
        )
        assert status == 200 and answer["cached"]
        hit = store.figures()
    finally:
        apps_function.configure(None)
        runtime.service.upstream.close()
    # One read (the cache entry), then the run-log record and its two index entries together:
    # no write waits for another, and nothing is read after a write.
    assert (hit["get"], hit["list"], hit["round_trips"]) == (1, 0, 2)
    assert (hit["create"], hit["put"], hit["delete"]) == (3, 0, 0)
