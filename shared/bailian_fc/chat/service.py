"""One chat turn: plan the Bailian session, stream App1, store the turn exactly once.

Timeline of a turn (each step's failure mode in brackets), store round trips counted:

    begin        one round trip: the question as a pending turn (create-only), with, for a new
                 conversation, its index entry, meta and the per-day count; for an existing one
                 its meta, tombstone and turn count   [404/429 (the turn is undone), 503 store:
                                                        nothing was asked upstream]
    meta         conversation_id + turn_id, once they are durable, before any upstream byte
    plan         an existing conversation's last turns (one ordered read), the session plan
    delta ...    one per upstream increment                  [client gone ⇒ cancelled, see below]
    save         two round trips: the whole turn, index and meta; then the replaced index entry
                 and the tombstone check                     [store down ⇒ error event]
    done|error   the end frame; ``done`` only after the record is stored; then the run log

A client disconnect cancels the producer; ``finally`` (shielded from that
cancellation) closes the upstream response and stores what was answered so far
with ``interrupted: true``. A kill (no ``finally``) leaves the pending record, which readers
show as interrupted once its lease has passed (docs/conversations.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from .. import logs
from ..auth import Principal
from ..bailian.client import AppStream, BailianClient
from ..bailian.errors import BailianError
from ..catalogue.chat import ChatRequest
from ..errors import ConversationNotFound, NotConfigured
from ..http.sse import Emit
from ..runlog import record as runlog
from ..runlog import trace
from ..runlog.cost import cost_of, price_table
from ..settings import Settings, disabled_apps
from ..store import Store, StoreError
from . import events, limits
from .conversations import TITLE_CHARS, ConversationStore
from .sessions import SessionPlan, plan_session, rebuild_messages

log = logging.getLogger("bailian_fc.chat")
T = TypeVar("T")

APP_KEY = "app1_chat"


class ChatService:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: Settings,
        client: Callable[[], BailianClient],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conversations = conversations
        self.settings = settings
        self.prices = price_table(settings)
        self.client = client
        self.clock = clock

    async def start_turn(self, principal: Principal, request: ChatRequest) -> Turn:
        app_id = self.settings.app_id(APP_KEY)
        if not app_id:
            off = APP_KEY in disabled_apps(self.settings.bailian_apps_disabled)
            why = " (disabled on this deployment: BAILIAN_APPS_DISABLED)" if off else ""
            raise NotConfigured(f"BAILIAN_APP_ID_{APP_KEY.upper()} is not set{why}", code="AppNotConfigured")
        self.client()  # a missing key is a JSON 503 now, not a broken stream later
        site, user = principal.site_id, principal.sub
        conversation_id = request.conversation_id
        context = request.context.model_dump() if request.context else None
        limits.check_context(context, self.settings)
        now = self.clock()
        pending = {
            "turn_id": self.conversations.new_turn_id(),
            "conversation_id": conversation_id,
            "site_id": site,
            "user": user,
            "message": request.message,
            "context": context,
            "answer": "",
            "interrupted": False,
            "finish_reason": None,
            "error_code": None,
            "created_at": now,
        }
        meta: dict[str, Any] | None
        if conversation_id is not None:
            meta = await self.store_call(self._begin_next, site, user, conversation_id, pending)
            turn_id = str(pending["turn_id"])
        else:
            conversation_id = pending["conversation_id"] = self.conversations.new_conversation_id()
            turn_id, meta = await self.store_call(self._begin_new, site, user, pending, now)
        return Turn(
            service=self,
            principal=principal,
            request=request,
            app_id=app_id,
            conversation_id=conversation_id,
            turn_id=turn_id,
            meta=meta,
            started_at=now,
            request_id=logs.current_request_id() or self.conversations.new_turn_id(),
            first_turn=request.conversation_id is None,
        )

    async def store_call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a worker thread when the store is remote; inline on a local one (the
        file store: its calls take less time than the thread hand-off, and the GIL serialises them
        anyway)."""
        if self.conversations.store.local_reads:
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args)

    def _begin_new(
        self, site: str, user: str, pending: dict[str, Any], now: float
    ) -> tuple[str, dict[str, Any] | None]:
        """One round trip: pending turn, index entry and meta, with the per-day count beside them."""
        return self.conversations.begin_turn(
            site,
            user,
            pending["conversation_id"],
            pending,
            title=pending["message"].strip()[:TITLE_CHARS],
            day_start=limits.business_day(now, self.settings)[0],
            admit=lambda count: limits.check_new_conversation(count, now, self.settings),
        )

    def _begin_next(
        self, site: str, user: str, conversation_id: str, pending: dict[str, Any]
    ) -> dict[str, Any]:
        """One round trip: the pending turn, with meta, tombstone and turn count read beside it."""
        cap = self.settings.chat_max_turns_per_conversation
        turn_id, meta, count = self.conversations.begin_next_turn(
            site, user, conversation_id, pending, cap=cap
        )
        pending["turn_id"] = turn_id
        try:
            if meta is None:
                raise ConversationNotFound()
            limits.check_turns(count, self.settings)
        except Exception:
            self.conversations.undo_turn(site, user, conversation_id, turn_id)
            raise
        return meta

    def history(self, site: str, user: str, conversation_id: str, turn_id: str) -> list[dict[str, Any]]:
        """The turns before ``turn_id`` that plan the session (read after ``meta`` was sent)."""
        last = self.settings.chat_history_turns
        turns = self.conversations.list_turns(site, user, conversation_id, last=last + 1)
        return [t for t in turns if t.get("turn_id") != turn_id][-last:] if last else []


@dataclass
class Turn:
    service: ChatService
    principal: Principal
    request: ChatRequest
    app_id: str
    conversation_id: str
    turn_id: str
    meta: dict[str, Any] | None
    started_at: float
    request_id: str  # the HTTP request's id (logs, run log record, error frame)
    first_turn: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    plan: SessionPlan = field(default_factory=lambda: SessionPlan(None, 0.0, 1, False))  # set by _plan
    answer: list[str] = field(default_factory=list)
    stream: AppStream | None = None
    error: BailianError | None = None
    completed: bool = False
    saved: bool = False
    run_log: runlog.RunRecord | None = None  # stored turn's run log record, written after the end frame
    stored: dict[str, Any] | None = None  # the turn as stored: its trace is written with the run log
    outcome: str = "interrupted"  # done | error | interrupted: the access line's final word
    end_code: str | None = None

    async def run(self, emit: Emit) -> None:
        """Produce the SSE events of this turn (the response's producer task)."""
        try:
            await emit(events.Meta(conversation_id=self.conversation_id, turn_id=self.turn_id))
            try:
                await self._plan()
                self.stream = self._open_stream()
                async for text in self.stream:
                    self.answer.append(text)
                    await emit(events.Delta.framed(text))  # the model's bytes, not the model (events.py)
                self.completed = True
            except BailianError as err:
                self.error = err
            except StoreError as exc:  # the history read after ``meta``: the question is stored
                log.warning("chat turn %s: history not readable: %s", self.turn_id, exc)
                self.error = BailianError("the conversation could not be read", code="StoreUnavailable")
            except Exception:  # a bug must still end the stream with an error frame and a stored turn
                log.exception("chat turn %s failed", self.turn_id)
                self.error = BailianError("internal error", code="InternalError")
            await self._finish(emit)
        finally:
            # The access line (written when the stream's last byte went) says how the turn ended:
            # a mid-stream failure is status 200 there, so ``outcome``/``error_code`` carry it.
            logs.note(outcome=self.outcome, error_code=self.end_code, turn_id=self.turn_id)
            with anyio.CancelScope(shield=True):
                if self.stream is not None:
                    await self.stream.aclose()
                if not self.saved:  # cancelled by a disconnect (or crashed): keep what was said
                    await self._save_quietly()
                await self._write_run_log()

    async def _write_run_log(self) -> None:
        """After the end frame: the client has its answer, the run log costs it nothing."""
        run, self.run_log = self.run_log, None
        if run is not None:  # never raises: a lost log line must not fail the turn
            store, stored = self.service.conversations.store, self.stored
            also = [lambda: self.write_trace(store, run, stored)] if stored is not None else []
            await self.service.store_call(runlog.write, store, run, *also)

    async def _plan(self) -> None:
        """The session plan from the turns before this one (none in a new conversation)."""
        if not self.first_turn:
            p = self.principal
            self.history = await self.service.store_call(
                self.service.history, p.site_id, p.sub, self.conversation_id, self.turn_id
            )
        settings = self.service.settings
        self.plan = plan_session(
            self.history,
            self.started_at,
            max_age=settings.chat_session_max_age_seconds,
            max_turns=settings.chat_session_max_turns,
        )

    def _open_stream(self) -> AppStream:
        client = self.service.client()
        biz_params = {"user_prompt_params": self.request.prompt_params(self.principal.site_id)}
        if self.plan.rebuild:
            messages = rebuild_messages(
                self.history, self.request.message, self.service.settings.chat_history_turns
            )
            return client.stream(self.app_id, messages=messages, biz_params=biz_params)
        return client.stream(
            self.app_id, prompt=self.request.message, session_id=self.plan.session_id, biz_params=biz_params
        )

    async def _finish(self, emit: Emit) -> None:
        try:
            await self.save()
        except Exception as exc:  # the stream still ends with an error frame, whatever failed
            if isinstance(exc, StoreError):
                log.warning("could not store turn %s: %s", self.turn_id, exc)
            else:
                log.exception("could not store turn %s", self.turn_id)
            self.outcome, self.end_code = "error", "StoreUnavailable"
            await emit(
                events.Error(
                    code="StoreUnavailable",
                    message="the answer could not be saved",
                    retryable=True,
                    request_id=self.request_id,
                )
            )
            return
        if self.error is not None:
            self.outcome, self.end_code = "error", self.error.code
            await emit(
                events.Error(
                    code=self.error.code,
                    message=self.error.message,
                    retryable=self.error.retryable,
                    request_id=self.request_id,
                )
            )
            return
        result = self.stream.result if self.stream else None
        usage = result.usage if result else None
        self.outcome = "done"
        await emit(
            events.Done(
                conversation_id=self.conversation_id,
                turn_id=self.turn_id,
                finish_reason=result.finish_reason if result else None,
                usage=events.Usage(
                    input_tokens=usage.input_tokens if usage else 0,
                    output_tokens=usage.output_tokens if usage else 0,
                    tokens_used=usage.tokens_used if usage else 0,
                ),
                # a clock moved back by a test or an NTP step must not make a frame the schema refuses
                latency_ms=max(0, round((self.service.clock() - self.started_at) * 1000)),
            )
        )

    async def _save_quietly(self) -> None:
        try:
            await self.save()
        except Exception:
            log.exception("could not store interrupted turn %s", self.turn_id)

    async def save(self) -> None:
        if self.saved:
            return
        record = self.record()
        conversations, p = self.service.conversations, self.principal

        run = self.run_record(record) if self.stream is not None else None  # no Bailian call, no run log
        if run is not None:  # the turn names its run-log record, so it can be rated (chat/function.py)
            record.update(run_at=run.at, run_record_id=run.id, run_request_id=run.request_id)

        def write() -> None:
            title = (self.meta or {}).get("title") or self.request.message.strip()[:TITLE_CHARS]
            kept = conversations.finish_turn(
                p.site_id,
                p.sub,
                self.conversation_id,
                record,
                title=title,
                created_at=(self.meta or {}).get("created_at"),
                previous=self.meta,
            )
            if not kept:
                log.info(
                    "conversation %s was deleted during turn %s: not kept", self.conversation_id, self.turn_id
                )

        await self.service.store_call(write)
        self.saved = True
        self.run_log, self.stored = run, record
        log.info(
            "chat turn %s stored: conversation=%s finish=%s error=%s attempts=%s",
            self.turn_id,
            self.conversation_id,
            record["finish_reason"],
            record["error_code"],
            record["attempts"],
        )

    def run_record(self, turn: dict[str, Any]) -> runlog.RunRecord:
        """The run log's view of this turn's upstream call (same shape as the apps' records)."""
        total = self.service.clock() - self.started_at
        ttfb = turn["ttfb_ms"]
        return runlog.RunRecord(
            app=APP_KEY,
            site_id=self.principal.site_id,
            user=self.principal.sub,
            request_id=self.request_id,
            cache="none",
            status="error" if self.error else "ok",
            error_code=self.error.code if self.error else None,
            attempts=turn["attempts"],
            tokens=turn["usage"],
            latency_ms={
                "total": round(total * 1000, 2),
                "upstream_ttfb": ttfb,
                "upstream": None,
                "overhead": None,
            },
            prompt_version=None,
            upstream_request_id=turn["request_id"],
            conversation_id=self.conversation_id,
            turn_id=self.turn_id,
            **cost_of(turn["usage"], self.service.prices).fields(),
            **runlog.failure_fields(self.error),
        )

    def write_trace(self, store: Store, run: runlog.RunRecord, turn: dict[str, Any]) -> None:
        """The turn's trace: question and page context in, the answer (as stored) out."""
        trace.write(
            store,
            trace.TraceRef.of(run.at, run.request_id, run.id),
            record=asdict(run),
            input={"message": turn["message"], "context": turn["context"]},
            output={
                "answer": turn["answer"],
                "finish_reason": turn["finish_reason"],
                "error_code": turn["error_code"],
            },
            max_bytes=self.service.settings.runlog_payload_max_bytes,
        )

    def record(self) -> dict[str, Any]:
        result = self.stream.result if self.stream else None
        session_id = result.session_id if result else None
        same_session = session_id is not None and session_id == self.plan.session_id
        interrupted = not self.completed and self.error is None
        answer = "".join(self.answer)
        cap = self.service.settings.chat_max_stored_answer_chars
        return {
            "turn_id": self.turn_id,
            "conversation_id": self.conversation_id,
            "site_id": self.principal.site_id,
            "user": self.principal.sub,
            "message": self.request.message,
            "context": self.request.context.model_dump() if self.request.context else None,
            "answer": answer[:cap],  # the client got all of it; the stored copy is bounded
            "answer_truncated": len(answer) > cap,
            "answer_chars": len(answer),
            "finish_reason": (result.finish_reason if result else None)
            or ("interrupted" if interrupted else None),
            "interrupted": interrupted,
            "error_code": self.error.code if self.error else None,
            "usage": result.usage.as_dict() if result else runlog.empty_tokens(),
            "attempts": result.attempts if result else 0,
            "request_id": result.request_id if result else None,
            "bailian_session_id": session_id,
            "session_started_at": self.plan.started_at if same_session else self.started_at,
            "session_turn": self.plan.turn_number if same_session else 1,
            "rebuilt_context": self.plan.rebuild,
            "created_at": self.started_at,
            "finished_at": self.service.clock(),
            "ttfb_ms": round(result.ttfb * 1000) if result and result.ttfb is not None else None,
        }
