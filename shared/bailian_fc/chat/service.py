"""One chat turn: plan the Bailian session, stream App1, store the turn exactly once.

Timeline of a turn (each step's failure mode in brackets):

    start_turn   load recent turns, plan the session        [404 unknown conversation, 503 store]
    begin        the question as a pending turn (create-only); for a new conversation its
                 index entry and meta too                     [503 store: nothing was asked upstream]
    meta         conversation_id + turn_id, once they are durable, before any upstream byte
    delta ...    one per upstream increment                  [client gone ⇒ cancelled, see below]
    save         the whole turn over its pending record, then index and meta [store down ⇒ error event]
    done|error   the end frame; ``done`` only after the record is stored

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
from typing import Any

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
        meta: dict[str, Any] | None = None
        turns: list[dict[str, Any]] = []
        now = self.clock()
        if conversation_id is not None:
            meta, turns = await anyio.to_thread.run_sync(self._load, site, user, conversation_id)
            if meta is None:
                raise ConversationNotFound()
        else:
            await anyio.to_thread.run_sync(
                limits.check_new_conversation, self.conversations, site, user, now, self.settings
            )
            conversation_id = self.conversations.new_conversation_id()
        plan = plan_session(
            turns,
            now,
            max_age=self.settings.chat_session_max_age_seconds,
            max_turns=self.settings.chat_session_max_turns,
        )
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
        title = None if meta is not None else request.message.strip()[:TITLE_CHARS]
        turn_id, created = await anyio.to_thread.run_sync(
            lambda: self.conversations.begin_turn(site, user, conversation_id, pending, title=title)
        )
        return Turn(
            service=self,
            principal=principal,
            request=request,
            app_id=app_id,
            conversation_id=conversation_id,
            turn_id=turn_id,
            plan=plan,
            history=turns,
            meta=meta or created,
            started_at=now,
            request_id=logs.current_request_id() or self.conversations.new_turn_id(),
        )

    def _load(
        self, site: str, user: str, conversation_id: str
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Meta and recent turns in one worker-thread hop (turns only when the conversation exists)."""
        meta = self.conversations.get_meta(site, user, conversation_id)
        if meta is None:
            return None, []
        limits.check_turns(self.conversations, site, user, conversation_id, self.settings)
        return meta, self.conversations.list_turns(
            site, user, conversation_id, last=self.settings.chat_history_turns
        )


@dataclass
class Turn:
    service: ChatService
    principal: Principal
    request: ChatRequest
    app_id: str
    conversation_id: str
    turn_id: str
    plan: SessionPlan
    history: list[dict[str, Any]]
    meta: dict[str, Any] | None
    started_at: float
    request_id: str  # the HTTP request's id (logs, run log record, error frame)
    answer: list[str] = field(default_factory=list)
    stream: AppStream | None = None
    error: BailianError | None = None
    completed: bool = False
    saved: bool = False

    async def run(self, emit: Emit) -> None:
        """Produce the SSE events of this turn (the response's producer task)."""
        try:
            await emit(events.Meta(conversation_id=self.conversation_id, turn_id=self.turn_id))
            self.stream = self._open_stream()
            try:
                async for text in self.stream:
                    self.answer.append(text)
                    await emit(events.Delta(text=text))
                self.completed = True
            except BailianError as err:
                self.error = err
            except Exception:  # a bug must still end the stream with an error frame and a stored turn
                log.exception("chat turn %s failed", self.turn_id)
                self.error = BailianError("internal error", code="InternalError")
            await self._finish(emit)
        finally:
            with anyio.CancelScope(shield=True):
                if self.stream is not None:
                    await self.stream.aclose()
                if not self.saved:  # cancelled by a disconnect (or crashed): keep what was said
                    await self._save_quietly()

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
            if run is not None:
                runlog.write(conversations.store, run)  # never raises: a lost log line must not fail the turn
                self.write_trace(conversations.store, run, record)

        await anyio.to_thread.run_sync(write)
        self.saved = True
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
