"""The client through the real dashscope SDK against the emulator: every fault, typed."""

from __future__ import annotations

import asyncio
import time

import pytest

from bailian_fc.bailian.client import BailianClient, RetryPolicy
from bailian_fc.bailian.errors import (
    AuthError,
    BadRequestError,
    ConnectionDropped,
    ContentBlocked,
    DeadlineExceeded,
    OutputInvalid,
    ProtocolError,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
)
from bailian_fc.catalogue.apps.app2_finance import FinanceInsight
from bailian_fc.catalogue.apps.app2a_finance_digest import FinanceDigest
from bailian_fc.http.errors import upstream_status
from bailian_fc.settings import Settings
from bailian_fc_tools.emulator import Behaviour

APP = "emu-app1_chat"
DIGEST = "emu-app2a_finance_digest"


@pytest.fixture
async def client(emulator):
    c = BailianClient(
        api_key="test-key",
        base_url=emulator.base_url,
        read_timeout=5,
        policy=RetryPolicy(max_attempts=3, base_delay=0.01, deadline=20),
    )
    yield c
    await c.aclose()


async def collect(stream) -> str:
    async with stream:
        return "".join([t async for t in stream])


async def test_stream_yields_increments_session_and_usage(client, emulator):
    """A stream yields text increments; the result has the session, request id and per-model usage."""
    emulator.script(APP, Behaviour(text="台费每小时三十元。", chunks=3, input_tokens=11, output_tokens=7))
    stream = client.stream(APP, prompt="台费多少？")
    assert await collect(stream) == "台费每小时三十元。"
    r = stream.result
    assert r.finish_reason == "stop" and r.attempts == 1 and len(r.session_id) == 32 and r.request_id
    assert r.usage.models == {"qwen-plus": {"input_tokens": 11, "output_tokens": 7}}
    body = emulator.requests_for(APP)[0]
    assert body.headers["authorization"] == "Bearer test-key"
    assert body.body["parameters"]["incremental_output"] is True


async def test_session_id_is_sent_and_echoed(client, emulator):
    """A given session id goes on the wire and comes back in the result."""
    stream = client.stream(APP, prompt="继续", session_id="a" * 32)
    await collect(stream)
    assert emulator.requests_for(APP)[0].body["input"]["session_id"] == "a" * 32
    assert stream.result.session_id == "a" * 32


async def test_429_honours_retry_after(client, emulator):
    """A 429 with Retry-After: 1 is retried after at least one second, and succeeds."""
    emulator.script(APP, Behaviour(kind="http_error", status=429, code="Throttling.RateQuota", retry_after=1))
    started = time.monotonic()
    stream = client.stream(APP, prompt="hi")
    assert await collect(stream)
    assert time.monotonic() - started >= 1.0
    assert stream.result.attempts == 2 and len(emulator.requests_for(APP)) == 2


async def test_retry_after_is_capped_at_sixty_seconds():
    """A server asking for ten minutes waits 60 s at most; without the header back-off is jittered."""
    policy = RetryPolicy(base_delay=0.5, max_delay=8)
    assert policy.delay(1, RateLimited("x", retry_after=600)) == 60
    delays = [policy.delay(3, UpstreamError("x")) for _ in range(50)]
    assert all(1.0 <= d <= 2.0 for d in delays) and len(set(delays)) > 1


async def test_5xx_is_retried_up_to_the_attempt_budget(client, emulator):
    """Three 500s exhaust three attempts and raise a typed, retryable UpstreamError."""
    emulator.script(APP, *[Behaviour(kind="http_error", status=500, code="InternalError")] * 3)
    with pytest.raises(UpstreamError) as info:
        await collect(client.stream(APP, prompt="hi"))
    err = info.value
    assert err.code == "InternalError" and err.retryable and err.attempts == 3 and err.request_id
    assert len(emulator.requests_for(APP)) == 3


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "InvalidApiKey", AuthError),
        (403, "App.AccessDenied", AuthError),
        (400, "InvalidParameter", BadRequestError),
        (400, "Arrearage", BadRequestError),
        (400, "DataInspectionFailed", ContentBlocked),
        (404, "NotFound", BadRequestError),
    ],
)
async def test_other_4xx_are_never_retried(client, emulator, status, code, error):
    """Client-side errors fail at once with their Bailian code."""
    emulator.script(APP, Behaviour(kind="http_error", status=status, code=code))
    with pytest.raises(error) as info:
        await collect(client.stream(APP, prompt="hi"))
    assert info.value.code == code and not info.value.retryable and info.value.attempts == 1
    assert len(emulator.requests_for(APP)) == 1


async def test_mid_stream_throttling_before_any_text_is_retried(client, emulator):
    """An ``event:error`` before the first text byte says 400 on the wire, but its code decides: retried."""
    emulator.script(
        APP, Behaviour(kind="mid_stream_error", after_chunks=0, status=429, code="Throttling.RateQuota")
    )
    stream = client.stream(APP, prompt="hi")
    assert await collect(stream)
    assert stream.result.attempts == 2


async def test_mid_stream_error_after_text_is_raised_not_retried(client, emulator):
    """After text reached the consumer, an error ends the call: a retry would repeat the text."""
    emulator.script(APP, Behaviour(kind="mid_stream_error", after_chunks=2, code="InternalError"))
    got = []
    with pytest.raises(UpstreamError) as info:
        async with client.stream(APP, prompt="hi") as stream:
            async for t in stream:
                got.append(t)
    assert len(got) == 2 and info.value.attempts == 1 and len(emulator.requests_for(APP)) == 1


async def test_truncated_stream_is_an_error_not_a_short_answer(client, emulator):
    """A stream that ends without finish_reason "stop" raises ProtocolError."""
    emulator.script(APP, Behaviour(kind="truncate", after_chunks=2))
    with pytest.raises(ProtocolError, match="without finish_reason"):
        await collect(client.stream(APP, prompt="hi"))


async def test_truncation_before_any_text_is_retried(client, emulator):
    """An empty truncated stream carried nothing to the user, so it is retried."""
    emulator.script(APP, Behaviour(kind="truncate", after_chunks=0))
    stream = client.stream(APP, prompt="hi")
    assert await collect(stream)
    assert stream.result.attempts == 2


async def test_dropped_connection_mid_stream_is_connection_dropped(client, emulator):
    """An RST after some chunks surfaces as ConnectionDropped (not a silent short answer)."""
    emulator.script(APP, Behaviour(kind="drop", after_chunks=2))
    with pytest.raises(ConnectionDropped):
        await collect(client.stream(APP, prompt="hi"))


async def test_reset_before_the_response_is_retried_once_by_us_only(client, emulator):
    """An RST before any byte is retried by our loop; the SDK adds no hidden resend."""
    emulator.script(APP, Behaviour(kind="drop_before_response"))
    stream = client.stream(APP, prompt="hi")
    assert await collect(stream)
    assert stream.result.attempts == 2 and len(emulator.requests_for(APP)) == 2


async def test_stall_times_out_and_is_retried(emulator):
    """A stream that goes silent past the read timeout is abandoned and retried."""
    client = BailianClient(
        api_key="k",
        base_url=emulator.base_url,
        read_timeout=0.3,
        policy=RetryPolicy(max_attempts=2, base_delay=0.01, deadline=10),
    )
    emulator.script(APP, Behaviour(kind="stall", after_chunks=0, stall_seconds=5))
    try:
        stream = client.stream(APP, prompt="hi")
        assert await collect(stream)
        assert stream.result.attempts == 2
        first = emulator.requests_for(APP)[0]
        assert await emulator.wait_closed(first, timeout=60)  # an event: the timeout only stops a hang
    finally:
        await client.aclose()


async def test_stall_on_every_attempt_raises_upstream_timeout(emulator):
    """When every attempt stalls the error is a retryable UpstreamTimeout (504)."""
    client = BailianClient(
        api_key="k",
        base_url=emulator.base_url,
        read_timeout=0.2,
        policy=RetryPolicy(max_attempts=2, base_delay=0.01, deadline=10),
    )
    emulator.script(APP, *[Behaviour(kind="stall", after_chunks=0, stall_seconds=3)] * 2)
    try:
        with pytest.raises(UpstreamTimeout) as info:
            await collect(client.stream(APP, prompt="hi"))
        assert info.value.attempts == 2 and upstream_status(info.value) == 504
    finally:
        await client.aclose()


async def test_total_deadline_bounds_the_whole_call(emulator):
    """The deadline covers every attempt and wait: a slow upstream fails at the deadline, not later."""
    client = BailianClient(
        api_key="k",
        base_url=emulator.base_url,
        read_timeout=30,
        policy=RetryPolicy(max_attempts=3, base_delay=0.01, deadline=0.5),
    )
    emulator.script(APP, Behaviour(first_chunk_delay=5))
    try:
        with pytest.raises(DeadlineExceeded):
            await collect(client.stream(APP, prompt="hi"))
        # One attempt, abandoned by the client: the deadline ended it, not the 5 s reply nor a retry.
        records = emulator.requests_for(APP)
        assert len(records) == 1 and not records[0].finished  # had it waited 5 s, the reply would be done
    finally:
        await client.aclose()


async def test_retry_after_beyond_the_deadline_fails_fast(emulator):
    """A Retry-After that would outlive the deadline is not slept: the 429 is raised at once."""
    client = BailianClient(
        api_key="k",
        base_url=emulator.base_url,
        policy=RetryPolicy(max_attempts=3, base_delay=0.01, deadline=2),
    )
    emulator.script(APP, Behaviour(kind="http_error", status=429, code="Throttling", retry_after=30))
    try:
        with pytest.raises(RateLimited) as info:
            await collect(client.stream(APP, prompt="hi"))
        assert info.value.retry_after == 30
        assert len(emulator.requests_for(APP)) == 1  # raised at once: no second attempt after any wait
    finally:
        await client.aclose()


async def test_non_json_data_line_is_a_protocol_error(client, emulator):
    """A ``data:`` line that is not JSON is detected, not passed on as an empty chunk."""
    emulator.script(APP, *[Behaviour(kind="invalid_json", after_chunks=1)] * 1)
    with pytest.raises(ProtocolError):
        await collect(client.stream(APP, prompt="hi"))


async def test_200_without_output_is_a_protocol_error(client, emulator):
    """A 200 carrying no ``output`` is a ProtocolError (the 1.x SDK would crash with TypeError)."""
    emulator.script(DIGEST, *[Behaviour(kind="no_output")] * 3)
    with pytest.raises(ProtocolError, match="without output"):
        await client.complete(DIGEST, prompt="x", output_model=FinanceDigest)
    assert len(emulator.requests_for(DIGEST)) == 3


async def test_consumer_stopping_early_closes_the_upstream_response(client, emulator):
    """Breaking out of the stream closes the HTTP response at once."""
    # Two chunks, then silence until the client leaves: only closing the stream can end the call.
    emulator.script(APP, Behaviour(kind="stall", after_chunks=2, stall_seconds=None))
    async with client.stream(APP, prompt="hi") as stream:
        async for _ in stream:
            break
    (record,) = emulator.requests_for(APP)
    assert await emulator.wait_closed(record, timeout=60)  # an event: the timeout only stops a hang
    assert record.chunks_sent == 2


async def test_single_turn_returns_the_validated_model(client, emulator):
    """complete() returns the caller's model built from the reply, with usage and attempts."""
    done = await client.complete(DIGEST, prompt="今日营收", output_model=FinanceDigest)
    assert isinstance(done.value, FinanceDigest) and done.attempts == 1
    assert done.usage.output_tokens > 0 and done.upstream_seconds > 0


async def test_single_turn_strips_a_markdown_fence(client, emulator):
    """A reply wrapped in ```json fences validates."""
    emulator.script(DIGEST, Behaviour(kind="fenced_json"))
    done = await client.complete(DIGEST, prompt="x", output_model=FinanceDigest)
    assert done.text.startswith("```") and done.value.headline


async def test_single_turn_wraps_a_bare_list_when_the_app_says_so(client, emulator):
    """A bare list of insights becomes {"insights": [...]} for apps that declare it."""
    reply = '[{"title": "夜场上升", "detail": "夜场台费环比增长12%", "level": "positive"}]'
    emulator.script("emu-app2_finance", Behaviour(kind="text", text=reply))
    done = await client.complete(
        "emu-app2_finance", prompt="x", output_model=FinanceInsight, bare_list_field="insights"
    )
    assert done.value.insights[0].title == "夜场上升"


async def test_invalid_reply_is_re_asked_and_tokens_of_every_attempt_count(client, emulator):
    """A reply failing its schema is re-asked in the same budget; tokens of the bad attempt are counted."""
    emulator.script(
        DIGEST,
        Behaviour(kind="text", text='{"headline": 1}', input_tokens=10, output_tokens=3),
        Behaviour(input_tokens=10, output_tokens=5),
    )
    done = await client.complete(DIGEST, prompt="x", output_model=FinanceDigest)
    assert done.attempts == 2
    assert (done.usage.input_tokens, done.usage.output_tokens) == (20, 8)


async def test_reply_that_never_validates_is_output_invalid(client, emulator):
    """Three invalid replies exhaust the budget: OutputInvalid (422) with the raw text and all tokens."""
    emulator.script(
        DIGEST, *[Behaviour(kind="text", text="抱歉，我无法回答。", input_tokens=4, output_tokens=2)] * 3
    )
    with pytest.raises(OutputInvalid) as info:
        await client.complete(DIGEST, prompt="x", output_model=FinanceDigest)
    err = info.value
    assert upstream_status(err) == 422 and err.raw_text == "抱歉，我无法回答。" and err.attempts == 3
    assert err.usage.output_tokens == 6 and len(emulator.requests_for(DIGEST)) == 3


async def test_transport_retry_and_re_ask_share_one_budget(client, emulator):
    """A 500 then an invalid reply then a valid one: three attempts in all, no nested loops."""
    emulator.script(
        DIGEST,
        Behaviour(kind="http_error", status=500, code="InternalError"),
        Behaviour(kind="text", text="not json"),
        Behaviour(),
    )
    done = await client.complete(DIGEST, prompt="x", output_model=FinanceDigest)
    assert done.attempts == 3 and len(emulator.requests_for(DIGEST)) == 3


async def test_hundreds_of_concurrent_streams_share_one_loop(client, emulator):
    """200 streams with a 1 s first chunk are in flight together, not one after another.

    Counted at the emulator (how many were open at once), not timed: a loaded machine is slow
    to start 200 streams, but one that ran them in turn would never have two open.
    """
    emulator.default = Behaviour(first_chunk_delay=1.0, chunks=5, chunk_delay=0.02)
    texts = await asyncio.gather(*(collect(client.stream(APP, prompt=f"q{i}")) for i in range(200)))
    records = emulator.requests_for(APP)
    assert all(texts) and len(records) == 200
    edges = sorted([(r.started_at, 1) for r in records] + [(r.ended_at, -1) for r in records])
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    assert peak >= 100, peak


def test_the_retry_schedule_is_the_documented_one():
    """docs/operations.md: waits are equal-jittered halves of base·2^(n-1) — with the default base of
    0.5 s the n-th retry waits 0.25–0.5 s, 0.5–1 s, 1–2 s (not the old client's fixed 1 → 2 → 4 s,
    which BAILIAN_BACKOFF_BASE_SECONDS=1 gives as the ceilings), capped at max_delay."""
    default = Settings().bailian_backoff_base_seconds
    assert default == 0.5
    for base, ceilings in ((default, (0.5, 1.0, 2.0)), (1.0, (1.0, 2.0, 4.0))):
        policy = RetryPolicy(base_delay=base, max_delay=8)
        for attempt, ceiling in enumerate(ceilings, start=1):
            waits = [policy.delay(attempt, UpstreamError("x")) for _ in range(40)]
            assert all(ceiling / 2 <= w <= ceiling for w in waits) and len(set(waits)) > 1
    assert RetryPolicy(base_delay=1.0, max_delay=8).delay(10, UpstreamError("x")) <= 8
