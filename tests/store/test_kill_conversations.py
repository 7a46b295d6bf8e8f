"""Kill -9 after every write of a chat turn and of a DELETE, on every adapter; then restart and check.

Each case forks a child that runs the real chat service (the dashscope SDK against the emulator,
which keeps running in this process) over a store wrapper that SIGKILLs the child right after its
K-th write, for K = 1, 2, … until a child finishes without being killed. Every child writes under
its own key prefix, so one bucket/table (and the module's servers) serves the whole matrix. After
each kill, this process opens the store afresh ("the restart") and checks what readers see, then
runs housekeeping past the turn lease and checks the store holds no orphan, no hidden
conversation and no leftover of a deleted one. The writes each child made are logged to a file
(an O_APPEND write reaches the kernel before the kill), so a failure names the exact state.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest
from conftest import ADAPTERS, StoreFactory
from support import make_settings

from bailian_fc.auth import Principal
from bailian_fc.bailian.client import BailianClient
from bailian_fc.catalogue.chat import ChatRequest
from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.chat.events import ChatEvent
from bailian_fc.chat.housekeeping import sweep_conversations
from bailian_fc.chat.service import ChatService
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore, Store
from bailian_fc_tools.emulator.server import Emulator, EmulatorThread

LEASE = 60.0
SITE, USER = "site-001", "user-1"
PRINCIPAL = Principal(sub=USER, site_id=SITE, role="staff")
QUESTION = "包厢今晚还有空位吗？"
MAX_WRITES = 40  # a turn makes ~9 writes, a DELETE ~6: more means the loop never ends


class KillAfter(Store):
    """Delegates to ``inner``; logs every write and SIGKILLs this process right after the ``k``-th.

    Writes a turn makes together (``Store.gather``) run on threads here as on any network store,
    so "the k-th" is the k-th to complete, and others may have landed unlogged by then."""

    def __init__(self, inner: Store, k: int, log_fd: int) -> None:
        self.inner, self.k, self.log_fd, self.writes = inner, k, log_fd, 0
        self.max_value_bytes = inner.max_value_bytes
        self.lock = threading.Lock()

    def _wrote(self, op: str, key: str) -> None:
        with self.lock:
            self.writes += 1
            os.write(self.log_fd, f"{op} {key}\n".encode())
            if self.writes == self.k:
                os.kill(os.getpid(), signal.SIGKILL)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)
        self._wrote("put", key)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        created = self.inner.put_if_absent(key, data)
        self._wrote("create" if created else "create-refused", key)
        return created

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        return self.inner.list_page(prefix, start_after, limit)

    def newest(self, prefix: str, limit: int, before: str = "") -> list[tuple[str, bytes]]:
        return self.inner.newest(prefix, limit, before)  # Tablestore's one range read, not the default

    def delete(self, key: str) -> None:
        self.inner.delete(key)
        self._wrote("delete", key)


def run_killed(make: Callable[[], Store], k: int, log: Path, scenario: Callable[[Store], None]) -> bool:
    """Run ``scenario`` in a forked child killed after its ``k``-th write; True if it was killed."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        code = 3
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            scenario(KillAfter(make(), k, fd))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, f"the child failed after {k} writes (see captured stderr)"
    return False


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator for the module, on its own thread so it answers while the test waits on a child."""
    import dashscope  # noqa: F401 - imported once here, so no forked child pays the import

    with EmulatorThread() as emu:
        yield emu


@pytest.fixture
def settings(emulator: Emulator, tmp_path: Path) -> Settings:
    return make_settings(emulator, tmp_path, chat_turn_lease_seconds=LEASE)


@pytest.fixture(params=ADAPTERS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """``make(prefix)``: a new store object (new connections) under its own prefix of one bucket."""
    if request.param == "file":
        return lambda prefix: FileStore(tmp_path / prefix)
    factory: StoreFactory = request.getfixturevalue(f"make_{request.param}_store")
    return lambda prefix: factory(prefix=prefix)


# -- scenarios (run in the child) ----------------------------------------------------------------


def chat_turn(settings: Settings, conversation_id: str | None) -> Callable[[Store], None]:
    def scenario(store: Store) -> None:
        async def go() -> None:
            client = BailianClient.from_settings(settings)
            service = ChatService(
                conversations=ConversationStore(store, turn_lease=LEASE),
                settings=settings,
                client=lambda: client,
            )
            turn = await service.start_turn(
                PRINCIPAL, ChatRequest(message=QUESTION, conversation_id=conversation_id)
            )
            events: list[str] = []

            async def emit(event: ChatEvent) -> None:
                events.append(event.event)

            await turn.run(emit)
            await client.aclose()
            assert events[0] == "meta" and events[-1] == "done", events

        anyio.run(go)

    return scenario


def delete(conversation_id: str) -> Callable[[Store], None]:
    def scenario(store: Store) -> None:
        assert ConversationStore(store, turn_lease=LEASE).delete(SITE, USER, conversation_id)

    return scenario


# -- checks after the restart --------------------------------------------------------------------


def later(store: Store) -> ConversationStore:
    """Readers after the dead turn's lease passed."""
    return ConversationStore(store, clock=lambda: time.time() + LEASE + 1, turn_lease=LEASE)


def sweep_all(store: Store) -> dict[str, int]:
    total: dict[str, int] = {}
    cursor: str | None = None
    for _ in range(100):
        counts, cursor = sweep_conversations(
            store, now=time.time() + LEASE + 1, budget=7, cursor=cursor, turn_lease=LEASE
        )
        for name, n in counts.items():
            total[name] = total.get(name, 0) + n
        if cursor is None:
            return total
    raise AssertionError("the sweep never finished")


def assert_tidy(store: Store) -> dict[str, set[str]]:
    """After housekeeping: every turn has meta, every meta one index entry and back, no tombstone."""
    base = f"chat/{SITE}/{USER}/"
    kinds: dict[str, set[str]] = {"meta": set(), "recent": set(), "turns": set(), "tombstones": set()}
    for key in store.list(base):
        kind, rest = key[len(base) :].split("/", 1)
        conv = rest.split("/", 1)[0].removesuffix(".json").split("-", 1)[-1]
        kinds[kind].add(conv)
    assert kinds["turns"] <= kinds["meta"], "orphaned turns"
    assert kinds["recent"] == kinds["meta"], "an index entry without meta, or meta without one"
    assert kinds["tombstones"] == set(), "a tombstone outlived its lease"
    return kinds


def assert_listed_and_openable(conversations: ConversationStore, expected_first: str | None) -> None:
    listed = conversations.list_conversations(SITE, USER, limit=1)
    if expected_first is not None:
        assert [m["conversation_id"] for m in listed] == [expected_first]
    for meta in conversations.list_conversations(SITE, USER, limit=50):
        assert conversations.get_meta(SITE, USER, meta["conversation_id"]) is not None


def writes(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def seed(store: Store, settings: Settings, count: int) -> list[str]:
    """``count`` finished conversations, oldest first (what the user already had)."""
    conversations = ConversationStore(store, turn_lease=LEASE)
    ids = []
    for i in range(count):
        conv = conversations.new_conversation_id()
        turn_id, meta = conversations.begin_turn(SITE, USER, conv, {"message": f"旧问题{i}"}, title=f"旧{i}")
        record = {"turn_id": turn_id, "message": f"旧问题{i}", "answer": "旧回答", "created_at": time.time()}
        conversations.finish_turn(SITE, USER, conv, record, title=f"旧{i}", created_at=None, previous=meta)
        ids.append(conv)
    return ids


# -- the matrix ----------------------------------------------------------------------------------


def test_a_new_conversation_killed_after_any_write(
    make_store: StoreFactory, settings: Settings, tmp_path: Path
) -> None:
    for k in range(1, MAX_WRITES):
        store = make_store(f"new{k}")
        old = seed(store, settings, 2)
        log = tmp_path / f"new{k}.log"
        killed = run_killed(lambda p=f"new{k}": make_store(p), k, log, chat_turn(settings, None))
        done = writes(log)
        state = "\n".join(done)
        begun = {
            w.split(" ", 1)[0] + w.split("/")[3] for w in done if w.startswith(("create chat/", "put chat/"))
        }
        told = {"createturns", "putrecent", "createmeta"} <= begun  # ``meta`` may have been sent
        stored = [k for k in store.list(f"chat/{SITE}/{USER}/meta/") if not any(o in k for o in old)]
        conversations = later(store)
        if told:  # the client may have been told the id: it must open, list first and hold the question
            conv = stored[0].rsplit("/", 1)[1].removesuffix(".json")
            assert_listed_and_openable(ConversationStore(store, turn_lease=LEASE), conv)
            turns = conversations.list_turns(SITE, USER, conv)
            assert [t["message"] for t in turns] == [QUESTION], state
            assert not turns[0]["pending"], state
            assert turns[0]["answer"] or turns[0]["interrupted"], state
            assert_listed_and_openable(conversations, conv)
        else:  # killed inside the first round trip: nothing was asked upstream, no id was sent
            assert_listed_and_openable(conversations, None)
            for reader in (ConversationStore(store, turn_lease=LEASE), conversations):
                for meta in reader.list_conversations(SITE, USER, limit=50):
                    conv = meta["conversation_id"]
                    if conv not in old:  # visible only with its question (any subset may have landed)
                        assert [t["message"] for t in reader.list_turns(SITE, USER, conv)] == [QUESTION], (
                            state
                        )
        kept = set()
        for key in stored:  # what the sweep keeps: a new conversation that holds its question
            conv = key.rsplit("/", 1)[1].removesuffix(".json")
            if later(store).get_meta(SITE, USER, conv) is not None:
                kept.add(conv)
        assert len(kept) <= 1, state
        sweep_all(store)
        kinds = assert_tidy(store)
        assert kinds["meta"] == set(old) | kept, state
        assert told <= bool(kept), state
        if not killed:
            assert k > 5, state  # the loop ran every write point of a whole turn
            return
    raise AssertionError("a turn never finished: more writes than MAX_WRITES")


def test_a_second_turn_killed_after_any_write(
    make_store: StoreFactory, settings: Settings, tmp_path: Path
) -> None:
    for k in range(1, MAX_WRITES):
        store = make_store(f"next{k}")
        conv, newer = seed(store, settings, 2)
        log = tmp_path / f"next{k}.log"
        killed = run_killed(lambda p=f"next{k}": make_store(p), k, log, chat_turn(settings, conv))
        state = "\n".join(writes(log))
        conversations = later(store)
        turns = conversations.list_turns(SITE, USER, conv)
        assert [t["message"] for t in turns] == ["旧问题0", QUESTION], state  # the question survived write 1
        assert turns[1]["answer"] or turns[1]["interrupted"], state
        assert not turns[1]["pending"], state
        listed = {m["conversation_id"] for m in conversations.list_conversations(SITE, USER, limit=2)}
        assert listed == {conv, newer}, state
        sweep_all(store)
        assert assert_tidy(store)["meta"] == {conv, newer}, state
        if not killed:
            return
    raise AssertionError("a turn never finished: more writes than MAX_WRITES")


def test_a_delete_killed_after_any_write_stays_deleted(
    make_store: StoreFactory, settings: Settings, tmp_path: Path
) -> None:
    for k in range(1, MAX_WRITES):
        store = make_store(f"del{k}")
        keep, gone = seed(store, settings, 2)  # the deleted one is the newest: a listing must skip it
        ConversationStore(store, turn_lease=LEASE).append_turn(
            SITE, USER, gone, {"message": "二", "answer": "好"}
        )
        log = tmp_path / f"del{k}.log"
        killed = run_killed(lambda p=f"del{k}": make_store(p), k, log, delete(gone))
        state = "\n".join(writes(log))
        for conversations in (ConversationStore(store, turn_lease=LEASE), later(store)):
            assert conversations.get_meta(SITE, USER, gone) is None, state
            listed = [m["conversation_id"] for m in conversations.list_conversations(SITE, USER, limit=1)]
            assert listed == [keep], state
            assert conversations.get_meta(SITE, USER, keep) is not None
        sweep_all(store)
        assert assert_tidy(store)["meta"] == {keep}, state
        assert [k for k in store.list("chat/") if gone in k] == [], state
        if not killed:
            return
    raise AssertionError("a DELETE never finished: more writes than MAX_WRITES")
