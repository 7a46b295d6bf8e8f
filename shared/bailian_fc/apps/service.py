"""Single-turn apps: validate, serve from cache or ask Bailian once, log the run.

``run`` is everything ``POST /apps/{key}`` does; the FC handler only decodes the event
and encodes the answer.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ..auth import Principal, require_role
from ..bailian.errors import BailianError
from ..bailian.usage import count
from ..cache import Entry, LeaseLost, ResultCache, cache_key
from ..catalogue.registry import CATALOGUE, AppSpec
from ..clock import Reading
from ..errors import Busy, DomainError, LimitReached, NotConfigured, NotFound
from ..runlog import record as runlog
from ..runlog import trace
from ..runlog.budget import Budgets
from ..runlog.cost import cost_of, price_table
from ..settings import Settings, disabled_apps
from ..store import Store
from ..venue import VenueData, open_venue_data
from .context import PromptContext
from .upstream import Upstream

REFRESH_ROLES = ("manager", "admin")


@dataclass
class Outcome:
    entry: Entry
    cache: str  # hit | miss | refresh | stale
    attempts: int = 0
    usage: dict[str, Any] | None = None
    upstream_seconds: float = 0.0
    upstream_request_id: str | None = None
    error: BailianError | None = None

    @property
    def cached(self) -> bool:
        return self.cache in ("hit", "stale")


class AppsService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Any,
        *,
        upstream: Upstream | None = None,
        cache: ResultCache | None = None,
        venue: VenueData | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.cache = cache or ResultCache(store, lease_seconds=settings.cache_lease_seconds)
        self.upstream = upstream or Upstream(settings)
        self.venue = venue or open_venue_data(settings, store)
        self.context = PromptContext(self.venue, clock, settings)
        self.prices = price_table(settings)
        self.budgets = Budgets(settings, store)

    def catalogue(self) -> list[dict[str, Any]]:
        return [spec.describe(self.settings.app_id(spec.key) is not None) for spec in CATALOGUE.values()]

    def spec(self, key: str) -> AppSpec:
        spec = CATALOGUE.get(key)
        if spec is None or spec.mode != "single":
            raise NotFound(f"no single-turn app {key!r}", code="AppNotFound")
        return spec

    def run(
        self, principal: Principal, key: str, payload: Any, *, refresh: bool = False, request_id: str = ""
    ) -> dict[str, Any]:
        spec = self.spec(key)
        started = time.monotonic()
        try:
            require_role(principal, *spec.roles)
            if refresh:
                require_role(principal, *REFRESH_ROLES)
            data = spec.input_model.model_validate(payload)
        except (DomainError, ValidationError) as exc:  # a 4xx still counts on the dashboard, by code
            self._log_refusal(spec, principal.site_id, principal.sub, request_id, started, exc)
            raise
        outcome = self.logged_resolve(
            spec, data, principal.site_id, principal.sub, request_id, refresh=refresh
        )
        entry = outcome.entry
        answer = {
            "app": key,
            "request_id": request_id,  # what POST /apps/feedback names this answer by
            "result": entry.value,
            "cached": outcome.cached,
            "stale": outcome.cache == "stale",
            "generated_at": _iso(entry.generated_at),
            "prompt_version": entry.prompt_version,
            "usage": _tokens(outcome.usage),
        }
        if entry.meta:
            meta = dict(entry.meta)
            figures = meta.pop("figures", None)  # App2's computed numbers: typed, beside the result
            if figures is not None:
                answer["figures"] = figures
            answer["meta"] = meta
        return answer

    def logged_resolve(
        self,
        spec: AppSpec,
        data: BaseModel,
        site_id: str,
        user: str,
        request_id: str,
        *,
        refresh: bool = False,
    ) -> Outcome:
        """:meth:`resolve`, with its run log record written whatever the result."""
        started = time.monotonic()
        try:
            outcome = self.resolve(spec, data, site_id, refresh=refresh, user=user)
        except BailianError as err:
            self._log(spec, site_id, user, request_id, started, None, err, data)
            raise
        except DomainError as exc:  # ClueNotFound, venue data unavailable, busy: code only
            self._log_refusal(spec, site_id, user, request_id, started, exc)
            raise
        self._log(spec, site_id, user, request_id, started, outcome, outcome.error, data)
        return outcome

    def is_fresh(self, spec: AppSpec, data: BaseModel, site_id: str) -> bool:
        """Whether a fresh entry exists for the site's business day and clock (the prewarm job skips
        those unless forced)."""
        reading = self.clock.reading(site_id)
        entry = self.cache.get(
            cache_key(spec.key, spec.prompt_version, site_id, data.model_dump(mode="json"), reading)
        )
        return entry is not None and entry.age(self.cache.wall()) < spec.fresh_seconds

    def resolve(
        self,
        spec: AppSpec,
        data: BaseModel,
        site_id: str,
        *,
        refresh: bool = False,
        reading: Reading | None = None,
        user: str = "",
    ) -> Outcome:
        """The entry for (app, input, site, business day, clock): fresh from cache, or from the one
        upstream call in flight.

        The site's clock is read once (or ``reading`` is given, when App2a derives from App2), and that
        one reading is the key's business date and context, the data bound and the answer's ``meta``.
        """
        reading = reading or self.clock.reading(site_id)
        ck = cache_key(spec.key, spec.prompt_version, site_id, data.model_dump(mode="json"), reading)
        started = self.cache.wall()
        entry = self.cache.get(ck)
        if entry is not None and not refresh and entry.age(started) < spec.fresh_seconds:
            return Outcome(entry, "hit")
        usable = (
            entry
            if entry is not None and entry.age(started) < spec.fresh_seconds + spec.stale_seconds
            else None
        )

        def wanted(found: Entry) -> bool:
            """An answer this request may take from another holder: fresh, and new enough for a refresh."""
            if refresh:
                return found.generated_at >= started
            return found.age(self.cache.wall()) < spec.fresh_seconds

        wait_until = started + self.settings.apps_wait_seconds
        while (lease := self.cache.try_lease(ck)) is None:
            if usable is not None and not refresh:
                return Outcome(usable, "stale")  # someone is refreshing it: don't queue behind them
            try:
                done = self.cache.wait_for(ck, wanted, deadline=wait_until)
            except LeaseLost:
                raise Busy("the same request is still being answered; retry shortly") from None
            if done is not None:
                return Outcome(done, "hit")
        try:
            again = self.cache.get(ck)  # a holder may have finished between our first read and our claim
            if again is not None and wanted(again):
                return Outcome(again, "hit")
            with self.cache.holding(lease):
                return self._ask(spec, data, site_id, reading, ck, "refresh" if refresh else "miss", user)
        except BailianError as err:
            if usable is None:
                raise
            return Outcome(usable, "stale", attempts=err.attempts, usage=_usage(err.usage), error=err)
        except LimitReached:  # past today's budget: what is cached is still served, stale or not
            if usable is None:
                raise
            return Outcome(usable, "stale")
        finally:
            self.cache.release(lease)

    def _ask(
        self, spec: AppSpec, data: BaseModel, site_id: str, reading: Reading, ck: str, kind: str, user: str
    ) -> Outcome:
        app_id = self.settings.app_id(spec.key)
        if not app_id:
            off = spec.key in disabled_apps(self.settings.bailian_apps_disabled)
            why = " (disabled on this deployment: BAILIAN_APPS_DISABLED)" if off else ""
            raise NotConfigured(f"{spec.app_id_setting} is not set{why}", code="AppNotConfigured")
        assert spec.prompt is not None and spec.output_model is not None
        self.budgets.check(site_id, user)  # a miss only: never on the cache-hit path; 429 before any call
        context = self._context(spec, data, site_id, reading, user)
        prompt = spec.prompt(data, context)
        asked = time.monotonic()
        try:
            done = self.upstream.complete(
                app_id,
                prompt=prompt.text,
                output_model=spec.output_model,
                biz_params=prompt.biz_params,
                bare_list_field=spec.bare_list_field,
            )
        except BailianError as err:
            err.upstream_seconds = time.monotonic() - asked  # a failure's latency split in the run log
            raise
        usage = done.usage.as_dict()
        entry = Entry(
            done.value.model_dump(mode="json"),
            self.cache.wall(),
            spec.prompt_version,
            usage,
            done.request_id,
            spec.answer_meta(context),
        )
        self.cache.put(ck, entry)
        return Outcome(
            entry,
            kind,
            attempts=done.attempts,
            usage=usage,
            upstream_seconds=done.upstream_seconds,
            upstream_request_id=done.request_id,
        )

    def _context(self, spec: AppSpec, data: BaseModel, site_id: str, reading: Reading, user: str) -> Any:
        """What the prompt is built from: the parent app's answer for the same input, day and clock
        (``derives_from``: usually a cache hit), else the app's own context loader."""
        if spec.derives_from is not None:
            parent = self.spec(spec.derives_from)
            return self.resolve(parent, data, site_id, reading=reading, user=user).entry.value
        return self.context.load(spec, data, site_id, reading)

    def _log(
        self,
        spec: AppSpec,
        site_id: str,
        user: str,
        request_id: str,
        started: float,
        outcome: Outcome | None,
        error: BailianError | None,
        data: BaseModel | None = None,
    ) -> None:
        total = time.monotonic() - started
        upstream = (
            outcome.upstream_seconds if outcome else ((error.upstream_seconds if error else None) or 0.0)
        )
        attempts = outcome.attempts if outcome else (error.attempts if error else 0)
        usage = (outcome.usage if outcome else None) or _usage(error.usage if error else None)
        record = runlog.RunRecord(
            app=spec.key,
            site_id=site_id,
            user=user,
            request_id=request_id,
            cache=outcome.cache if outcome else "miss",
            status="error" if error and not outcome else "ok",
            error_code=error.code if error else None,
            attempts=attempts,
            tokens=usage or runlog.empty_tokens(),
            latency_ms={
                "total": _ms(total),
                "upstream": _ms(upstream) if upstream else None,
                "upstream_ttfb": None,
                "overhead": _ms(total - upstream) if upstream else None,
            },
            prompt_version=spec.prompt_version,
            upstream_request_id=outcome.upstream_request_id
            if outcome
            else (error.request_id if error else None),
            **cost_of(usage, self.prices).fields(),
            **runlog.failure_fields(error),
        )
        also = [lambda: self._trace(record, data, outcome)]
        if attempts and record.cache in ("miss", "refresh", "stale"):  # Bailian was asked: it counts
            also.append(lambda: self.budgets.note(site_id, user, record.id, record.cost_cny, record.at))
        runlog.write(self.store, record, *also)  # with the record, in its one round trip

    def _trace(self, record: runlog.RunRecord, data: BaseModel | None, outcome: Outcome | None) -> None:
        """The call's trace: the app's parameters in, the answer (result and meta) out."""
        entry = outcome.entry if outcome else None
        trace.write(
            self.store,
            trace.TraceRef.of(record.at, record.request_id, record.id),
            record=asdict(record),
            input=data.model_dump(mode="json") if data is not None else None,
            output={"result": entry.value, "meta": entry.meta} if entry is not None else None,
            max_bytes=self.settings.runlog_payload_max_bytes,
        )

    def _log_refusal(
        self, spec: AppSpec, site_id: str, user: str, request_id: str, started: float, exc: Exception
    ) -> None:
        """A call refused before or beside Bailian: its code, never the payload or the message. A
        rejection's latency is not a call's, so only an ``error`` feeds the latency histogram."""
        status, code = runlog.refusal(exc)
        record = runlog.RunRecord(
            app=spec.key,
            site_id=site_id,
            user=user,
            request_id=request_id,
            cache="none",
            status=status,
            error_code=code,
            latency_ms={"total": _ms(time.monotonic() - started)} if status == "error" else {},
            prompt_version=spec.prompt_version,
        )
        runlog.write(self.store, record)


def _usage(usage: Any) -> dict[str, Any] | None:
    as_dict: dict[str, Any] | None = (
        usage.as_dict() if usage is not None and hasattr(usage, "as_dict") else usage
    )
    return as_dict


def _tokens(usage: dict[str, Any] | None) -> dict[str, int]:
    usage = usage or {}
    tin, tout = count(usage.get("input_tokens")), count(usage.get("output_tokens"))
    return {
        "input_tokens": tin,
        "output_tokens": tout,
        "tokens_used": count(usage.get("tokens_used", tin + tout)),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat()
