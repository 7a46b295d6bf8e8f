"""Async Bailian (DashScope Application) client: one retry loop, one error tree.

Built on the real ``dashscope`` 2.0 SDK (its apps resource and httpx transport) with the SDK's own
retries turned off (``max_retries=0``), so that exactly one loop decides:

* retry 429, 5xx, timeouts, dropped connections and protocol faults — but only
  before the first streamed byte reached the consumer (after that a retry would
  duplicate text the user already saw);
* honour ``Retry-After`` up to 60 s, otherwise exponential back-off with jitter;
* never retry other 4xx; at most ``max_attempts``; all of it inside one total deadline.

Per client: API key, workspace and an httpx pool sized for hundreds of concurrent
streams (no thread per call, no global ``dashscope.api_key``). Only the SDK's public API:
``dashscope.AsyncClient`` and its ``apps`` resource, the documented ``dashscope.v2.errors``. The SDK is
imported when a client is built, not when this module is imported: ``import dashscope`` costs
~0.35 s (Python 3.10, built dir).

Usage:

    client = BailianClient(api_key=..., base_url=...)
    stream = client.stream(app_id, prompt="你好")
    async with stream:
        async for text in stream:          # text increments
            ...
    stream.result.session_id, stream.result.usage

    done = await client.complete(app_id, prompt=..., output_model=FinanceInsight)
    done.value, done.usage, done.attempts
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
from pydantic import BaseModel

from .errors import BailianError, OutputInvalid, ProtocolError
from .reply import ReplyInvalid, parse_reply
from .translate import translate_errors
from .usage import Usage

if TYPE_CHECKING:
    from ..settings import Settings

T = TypeVar("T", bound=BaseModel)

POOL_SHARDS = 32


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    deadline: float = 120.0

    def delay(self, attempt: int, error: BailianError) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter": never zero, never in lockstep


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.expires = self.started + seconds

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started


@dataclass
class StreamResult:
    session_id: str | None = None
    request_id: str | None = None
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0
    ttfb: float | None = None  # seconds from the call to the first text byte
    total: float | None = None


@dataclass
class Completion(Generic[T]):
    value: T
    text: str
    usage: Usage
    attempts: int
    request_id: str | None
    session_id: str | None
    upstream_seconds: float  # time spent waiting on Bailian, summed over attempts


class BailianClient:
    """One per process (per event loop); safe for hundreds of concurrent calls."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        workspace: str | None = None,
        policy: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_connections: int = 500,
    ) -> None:
        import httpx

        self.policy = policy or RetryPolicy()
        self._api_key = api_key
        self._workspace = workspace
        # httpcore's pool scans every connection on each request and release, so one pool of
        # N streams costs O(N^2); several small pools keep that flat at hundreds of streams.
        shards = max(1, min(POOL_SHARDS, max_connections))
        per_shard = -(-max_connections // shards)
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        tls = _tls_context()  # one CA bundle load (~25 ms), not one per shard
        self._http = [
            httpx.AsyncClient(
                base_url=base_url.rstrip("/"),
                verify=tls,
                timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
                limits=httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard),
            )
            for _ in range(shards)
        ]
        self._sdks = [
            apps_client(api_key=api_key, base_url=base_url, workspace=workspace, http_client=http)
            for http in self._http
        ]
        self._next_shard = itertools.count()

    @property
    def _sdk(self) -> Any:
        """The SDK client of the next pool shard (round robin)."""
        return self._sdks[next(self._next_shard) % len(self._sdks)]

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> BailianClient:
        if settings.dashscope_api_key is None:
            raise BailianError("DASHSCOPE_API_KEY is not set", code="MissingApiKey")
        options: dict[str, Any] = {
            "api_key": settings.dashscope_api_key.get_secret_value(),
            "base_url": settings.dashscope_base_url,
            "workspace": settings.dashscope_workspace,
            "policy": RetryPolicy(
                max_attempts=settings.bailian_max_attempts,
                base_delay=settings.bailian_backoff_base_seconds,
                deadline=settings.bailian_deadline_seconds,
            ),
            "connect_timeout": settings.bailian_connect_timeout,
            "read_timeout": settings.bailian_read_timeout,
            "max_connections": settings.bailian_max_connections,
        }
        options.update(overrides)
        return cls(**options)

    async def aclose(self) -> None:
        for http in self._http:
            await http.aclose()

    def stream(
        self,
        app_id: str,
        *,
        prompt: str | None = None,
        messages: list[dict[str, str]] | None = None,
        session_id: str | None = None,
        biz_params: dict[str, Any] | None = None,
        deadline: float | None = None,
    ) -> AppStream:
        """A streamed call (not started until iterated); yields text increments."""
        request = {
            "app_id": app_id,
            "prompt": prompt,
            "messages": messages,
            "session_id": session_id,
            "biz_params": biz_params,
        }
        return AppStream(self, request, Deadline(deadline or self.policy.deadline))

    async def complete(
        self,
        app_id: str,
        *,
        prompt: str,
        output_model: type[T],
        biz_params: dict[str, Any] | None = None,
        bare_list_field: str | None = None,
        deadline: float | None = None,
    ) -> Completion[T]:
        """A single-turn call whose reply must validate as ``output_model``.

        Transport retries and re-asks after an invalid reply share one attempt budget
        (no nested loops); tokens of every attempt are counted, invalid ones included.
        """
        clock = Deadline(deadline or self.policy.deadline)
        usage = Usage()
        upstream = 0.0
        invalid: ReplyInvalid | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            started = time.monotonic()
            try:
                reply = await self._call_once(app_id, prompt, biz_params, clock)
            except BailianError as err:
                upstream += time.monotonic() - started
                await self._before_retry(err, attempt, clock, usage)
                continue
            upstream += time.monotonic() - started
            usage.add_wire(reply["usage"])
            try:
                value = parse_reply(reply["text"], output_model, bare_list_field)
            except ReplyInvalid as exc:
                invalid = exc  # a format slip, not load: re-ask at once
                continue
            return Completion(
                value, reply["text"], usage, attempt, reply["request_id"], reply["session_id"], upstream
            )
        assert invalid is not None  # the loop only falls through after invalid replies
        failure = OutputInvalid(str(invalid), raw_text=invalid.raw_text)
        failure.attempts, failure.usage = self.policy.max_attempts, usage
        raise failure

    def bounded(self, clock: Deadline) -> contextlib.AbstractContextManager[Any]:
        """A deadline scope around one wait, only when httpx's own timeouts would not end it in time.

        A cancel scope per chunk is costly at hundreds of streams (anyio's bookkeeping was a
        quarter of the chat function's CPU); while the deadline is further away than one
        connect plus one read timeout, httpx already bounds every wait below it.
        """
        remaining = clock.remaining()
        if remaining > self.read_timeout + self.connect_timeout:
            return contextlib.nullcontext()
        return anyio.fail_after(max(remaining, 0.001))

    async def _before_retry(self, err: BailianError, attempt: int, clock: Deadline, usage: Usage) -> None:
        """Sleep before the next attempt, or re-raise ``err`` when it must not be retried."""
        err.attempts, err.usage = attempt, usage
        if not err.retryable or attempt >= self.policy.max_attempts:
            raise err
        delay = self.policy.delay(attempt, err)
        if delay >= clock.remaining():
            raise err  # waiting would outlive the deadline: the upstream error says more than "deadline"
        await anyio.sleep(delay)

    async def _call_once(
        self, app_id: str, prompt: str, biz_params: dict[str, Any] | None, clock: Deadline
    ) -> dict[str, Any]:
        with translate_errors(clock):
            with self.bounded(clock):
                done = await self._sdk.apps.completions.create(
                    app_id=app_id,
                    prompt=prompt,
                    biz_params=biz_params or None,
                    api_key=self._api_key,
                    workspace=self._workspace,
                )
        if done.text is None or done.finish_reason is None:
            raise ProtocolError("200 without output", request_id=getattr(done, "request_id", None))
        return {
            "text": done.text,
            "usage": _usage_dict(done),
            "request_id": done.request_id,
            "session_id": done.session_id,
        }


class AppStream:
    """One streamed app call: ``async for text in stream``; ``result`` fills in as it goes."""

    def __init__(self, client: BailianClient, request: dict[str, Any], clock: Deadline) -> None:
        self._client = client
        self._request = request
        self._clock = clock
        self._gen: AsyncIterator[str] | None = None
        self.result = StreamResult()

    def __aiter__(self) -> AsyncIterator[str]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    async def aclose(self) -> None:
        """Stop now: closes the upstream HTTP response at once."""
        if self._gen is not None:
            await self._gen.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> AppStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self) -> AsyncIterator[str]:
        for attempt in range(1, self._client.policy.max_attempts + 1):
            self.result.attempts = attempt
            try:
                async for text in self._attempt():
                    yield text
                self.result.total = self._clock.elapsed()
                return
            except BailianError as err:
                if self.result.ttfb is not None:
                    err.attempts, err.usage = attempt, self.result.usage
                    raise  # the consumer already has text: a retry would repeat it
                await self._client._before_retry(err, attempt, self._clock, self.result.usage)

    async def _attempt(self) -> AsyncIterator[str]:
        req, client = self._request, self._client
        with translate_errors(self._clock):
            with client.bounded(self._clock):
                sdk_stream = await client._sdk.apps.completions.create(
                    app_id=req["app_id"],
                    prompt=req["prompt"],
                    messages=req["messages"],
                    session_id=req["session_id"],
                    biz_params=req["biz_params"] or None,
                    stream=True,
                    incremental_output=True,
                    api_key=client._api_key,
                    workspace=client._workspace,
                )
        events = sdk_stream.__aiter__()
        try:
            while True:
                event = await self._next_event(events)
                if event is None:
                    break
                text = self._absorb(event)
                if text:
                    if self.result.ttfb is None:
                        self.result.ttfb = self._clock.elapsed()
                    yield text
        finally:
            with anyio.CancelScope(shield=True):
                await sdk_stream.aclose()
        if self.result.finish_reason != "stop":
            raise ProtocolError(
                f"stream ended without finish_reason 'stop' (got {self.result.finish_reason!r})",
                request_id=self.result.request_id,
            )

    async def _next_event(self, events: AsyncIterator[Any]) -> Any | None:
        with translate_errors(self._clock), self._client.bounded(self._clock):
            try:
                return await events.__anext__()
            except StopAsyncIteration:
                return None

    def _absorb(self, event: Any) -> str:
        """Record one chunk's session, request id, usage and finish reason; return its text."""
        if not any(
            getattr(event, name, None) for name in ("text", "finish_reason", "session_id", "request_id")
        ):
            raise ProtocolError(
                "stream chunk without output (non-JSON data?)", request_id=self.result.request_id
            )
        self.result.session_id = event.session_id or self.result.session_id
        self.result.request_id = event.request_id or self.result.request_id
        if event.finish_reason and event.finish_reason != "null":
            self.result.finish_reason = event.finish_reason
        self.result.usage.add_wire(_usage_dict(event))
        return str(event.text or "")


# The SDK modules a call needs: its public root (``dashscope.AsyncClient``) and the error classes it
# documents (``from dashscope.v2 import errors``, read by translate.py).
SDK_MODULES = ("dashscope", "dashscope.v2.errors")


def import_sdk() -> None:
    """Import the SDK modules of a call now (~0.35 s built), e.g. before worker threads race for them."""
    import importlib

    for name in SDK_MODULES:
        importlib.import_module(name)


def apps_client(*, api_key: str, base_url: str, workspace: str | None, http_client: Any) -> Any:
    """The SDK's ``dashscope.AsyncClient`` over ``http_client``, its own retries off (heavy import:
    only callers of Bailian pay it)."""
    import dashscope

    return dashscope.AsyncClient(
        api_key=api_key, base_url=base_url, workspace=workspace, max_retries=0, http_client=http_client
    )


@functools.lru_cache(maxsize=1)
def _tls_context() -> Any:
    """One CA bundle per process (~25 ms to load), shared by every client and thread."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _usage_dict(event: Any) -> dict[str, Any] | None:
    usage = getattr(event, "usage", None)
    if usage is None:
        return None
    data = usage.model_dump() if hasattr(usage, "model_dump") else dict(usage)
    if not data.get("models") and not data.get("input_tokens") and not data.get("output_tokens"):
        return None
    return data
