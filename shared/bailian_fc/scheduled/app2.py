"""App2 prewarm: every (range × area) filter of every site, App2 then its App2a digest.

Items run on a bounded pool (``prewarm_concurrency`` threads, each with its own event
loop and Bailian client) under a shared QPS cap, so K items of latency L take about
ceil(K / C) · L. Each item goes through the same cache path as a user request (one
upstream call per key even if a user asks at the same moment) and its own retry budget;
a failing item is reported and the rest go on. Fresh entries are skipped unless forced.

A configuration error (an app id or the key unset, Bailian answering 401/403) stops the run at
once: every further call would fail the same way and only spend the rate limit. The summary's
``outcome`` is ``ok``, ``partial`` (some items failed; counts say how many) or ``failed``.

A timer run fills each site on its business day: a site whose clock (live or its sandbox) is between
midnight and the day start is left ``waiting`` (what it would compute belongs to the closing
business day and is not served after the day start: docs/business-day.md); the seeded schedule
fires just after the day start, when "today" is the new day and "yesterday" has closed. Cache keys
carry the business date, so that run recomputes yesterday's ranges too. A manual run does what the
operator asked.

Near the deadline no new item starts; the ones in flight finish, the list of done
items is saved as resume state, and the next tick continues where this one stopped.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ..apps.service import AppsService
from ..bailian.errors import AuthError, BailianError
from ..bailian.usage import count
from ..catalogue.inputs import FinanceFilter
from ..catalogue.registry import CATALOGUE
from ..ids import SAFE_ID_PATTERN
from ..jobs.day_start import before_day_start, next_day_start
from ..jobs.dispatcher import JobRun
from ..jsonsafe import loads as json_loads
from ..venue.ranges import RANGES

log = logging.getLogger("bailian_fc.scheduled")

APP2, APP2A = "app2_finance", "app2a_finance_digest"
_SITE_ID = re.compile(SAFE_ID_PATTERN.strip("^$"))
PROGRESS_EVERY_SECONDS = 2.0
# Codes no retry or later item can fix: the run stops at the first one.
CONFIG_ERROR_CODES = frozenset({"AppNotConfigured", "KeyNotConfigured"})


class SiteDirectory(Protocol):
    """Where the prewarm discovers sites and areas: the venue data port (or a bare FinanceStore)."""

    def sites(self) -> list[str]: ...

    def areas(self, site_id: str, *, upper_bound: date) -> list[str]: ...


@dataclass(frozen=True)
class Item:
    site_id: str
    range: str
    area: str
    app: str = APP2

    @property
    def key(self) -> str:
        return f"{self.app}|{self.site_id}|{self.range}|{self.area}"


class Limiter(Protocol):
    def acquire(self) -> object: ...


class RateLimiter:
    """At most ``qps`` starts per second across threads (evenly spaced, no bursts)."""

    def __init__(self, qps: float) -> None:
        self.interval = 1.0 / qps if qps > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass
class Tally:
    total: int
    done: set[str] = field(default_factory=set)
    computed: int = 0
    skipped: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    stopped: str | None = None  # the configuration error that ended the run early
    # Sites whose daily budget ran out (429 BudgetExceeded): their remaining items are not run.
    budget_spent: dict[str, int] = field(default_factory=dict)  # site → items left undone
    started: float = field(default_factory=time.monotonic)

    def outcome(self) -> str:
        """``failed`` when stopped or nothing succeeded, ``partial`` when some items failed, else ``ok``."""
        succeeded = self.computed + self.skipped
        if self.stopped or (self.failures and not succeeded):
            return "failed"
        return "partial" if self.failures or self.budget_spent else "ok"

    def out_of_budget(self, item: Item) -> bool:
        """Whether ``item``'s site has spent its budget: then it is counted as left undone."""
        if item.site_id not in self.budget_spent:
            return False
        self.budget_spent[item.site_id] += 1
        self.done.add(item.key)
        return True

    def progress(self) -> dict[str, Any]:
        return {
            "event": "prewarm.progress",
            "done": len(self.done),
            "total": self.total,
            "computed": self.computed,
            "skipped": self.skipped,
            "failures": len(self.failures),
            "tokens": {"input": self.input_tokens, "output": self.output_tokens},
            "elapsed_s": round(time.monotonic() - self.started, 2),
        }


def plan(
    finance: SiteDirectory,
    clock: Any,
    sites: list[str],
    apps: list[str],
    skipped: list[dict[str, str]] | None = None,
) -> list[Item]:
    """Every filter of every site: 8 ranges × (all + each area) — App2 items only; digests follow.

    A site that cannot be planned (an id no key may hold, e.g. ``'Site 004/北'`` from a finance row;
    its areas failing to load) is skipped and reported in ``skipped``, never fatal to the others.
    """
    items: list[Item] = []
    for site in sites:
        if not isinstance(site, str) or not _SITE_ID.fullmatch(site):
            _skip(skipped, site, "not a valid site id")
            continue
        try:
            areas = ["all", *finance.areas(site, upper_bound=clock.business_date(site))]
        except Exception as exc:  # one site's data must not stop the prewarm of the rest
            log.warning("prewarm skips site %r: %s", site, exc)
            _skip(skipped, site, f"{type(exc).__name__}: {exc}"[:200])
            continue
        items.extend(Item(site, r, a) for r in RANGES for a in areas)
    return items if APP2 in apps else [Item(i.site_id, i.range, i.area, APP2A) for i in items]


def _skip(skipped: list[dict[str, str]] | None, site: Any, why: str) -> None:
    if skipped is not None:
        skipped.append({"site_id": str(site)[:100], "reason": why})


class App2Prewarm:
    def __init__(
        self,
        service: AppsService,
        finance: SiteDirectory,
        *,
        concurrency: int,
        qps: float,
        margin_seconds: float = 10.0,
        limiter: Limiter | None = None,
        checkpoint_every: int = 20,
    ) -> None:
        self.service = service
        self.finance = finance
        self.concurrency = concurrency
        self.limiter: Limiter = limiter or RateLimiter(qps)
        self.margin = margin_seconds
        # Items between mid-run resume points: a killed run loses at most this many finished items.
        self.checkpoint_every = checkpoint_every

    def __call__(self, run: JobRun) -> dict[str, Any]:
        payload = run.payload
        force = payload.get("force") is True  # strictly a JSON true: "false" is not a reason to recompute
        apps = list(payload.get("apps") or [APP2, APP2A])
        sites = [payload["site_id"]] if payload.get("site_id") else self.finance.sites()
        waiting = self.waiting(sites) if run.trigger == "timer" else {}
        sites = [s for s in sites if s not in waiting]
        skipped_sites: list[dict[str, str]] = []
        items = plan(self.finance, self.service.clock, sites, apps, skipped_sites)
        if items:
            # Import the client stack once, here, rather than in 8 workers queueing on the import
            # lock; and only when a job runs, so a tick with nothing due stays light.
            self.service.upstream.preload()
        done_before = set((run.resume or {}).get("done", []))
        tally = Tally(total=len(items) * (2 if {APP2, APP2A} <= set(apps) else 1), done=set(done_before))
        tally.stopped = self.misconfigured(apps) if items else None
        complete = self._run_pool(items, apps, force, run, tally) if tally.stopped is None else False
        summary = {
            **tally.progress(),
            "event": "prewarm.summary",
            "outcome": tally.outcome(),
            "complete": complete,
            "failed": tally.failures[:50],
            "sites": sites,
            "sites_skipped": len(skipped_sites),
            "skipped_sites": skipped_sites[:50],
            "force": force,
        }
        if waiting:
            summary["waiting"] = waiting
        if tally.budget_spent:  # said in the run: these sites stopped at their daily budget
            summary["budget_exhausted"] = {
                site: {"items_not_run": n, "message": f"site {site} spent its daily budget: stopped"}
                for site, n in sorted(tally.budget_spent.items())
            }
        if tally.stopped:
            summary["error"] = f"stopped: {tally.stopped}"
        elif not complete:
            run.save_resume({"done": sorted(tally.done)})
        log.info("app2 prewarm summary", extra={"fields": json_loads(json.dumps(summary, default=str))})
        return summary

    def waiting(self, sites: list[str]) -> dict[str, str]:
        """Sites whose business day has not started yet (by each site's clock): site → when it starts."""
        clock = self.service.clock
        found = {}
        for site in sites:
            if not _SITE_ID.fullmatch(site):
                continue  # plan() skips and counts it; its clock cannot even be read
            now = clock.reading(site).now
            if before_day_start(now, clock.calendar):
                found[site] = next_day_start(now, clock.calendar).isoformat()
        return found

    def misconfigured(self, apps: list[str]) -> str | None:
        """Why no call can succeed (checked before the first one), or None."""
        settings = self.service.settings
        if settings.dashscope_api_key is None:
            return "DASHSCOPE_API_KEY is not set"
        unset = [CATALOGUE[a].app_id_setting for a in apps if a in CATALOGUE and not settings.app_id(a)]
        return f"{', '.join(unset)} not set: nothing was called" if unset else None

    def _run_pool(self, items: list[Item], apps: list[str], force: bool, run: JobRun, tally: Tally) -> bool:
        queue = [i for i in items if i.key not in tally.done]
        follow_digest = APP2 in apps and APP2A in apps
        pending: dict[Future[dict[str, Any]], Item] = {}
        last_progress = time.monotonic()
        saved_at = len(tally.done)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="prewarm") as pool:
            try:
                while queue or pending:
                    while (
                        queue
                        and len(pending) < self.concurrency
                        and not run.expired(self.margin)
                        and tally.stopped is None
                    ):
                        item = queue.pop(0)
                        if tally.out_of_budget(item):
                            continue
                        # each item in a copy of this context, so its log lines carry the tick's request id
                        pending[pool.submit(contextvars.copy_context().run, self._one, item, force)] = item
                    if not pending:
                        break  # out of time with nothing in flight
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        item = pending.pop(future)
                        ok = self._count(tally, item, future.result())
                        if follow_digest and item.app == APP2:
                            digest = Item(item.site_id, item.range, item.area, APP2A)
                            if ok:
                                queue.insert(0, digest)  # digests first: they finish what is started
                            elif tally.out_of_budget(digest):
                                pass
                            else:
                                self._count(
                                    tally,
                                    digest,
                                    {
                                        "error": {
                                            "code": "DependencyFailed",
                                            "message": "App2 failed for this filter",
                                        }
                                    },
                                )
                    if len(tally.done) - saved_at >= self.checkpoint_every:
                        # a resume point while working: a killed run's successor skips what is done
                        run.save_resume({"done": sorted(tally.done)})
                        saved_at = len(tally.done)
                    if time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                        log.info("app2 prewarm progress", extra={"fields": tally.progress()})
                        last_progress = time.monotonic()
            finally:
                self.service.upstream.close()
        return not queue

    @staticmethod
    def _count(tally: Tally, item: Item, result: dict[str, Any]) -> bool:
        """Fold one item's result into the tally (main thread only); True when it succeeded."""
        tally.done.add(item.key)  # failures are reported, not retried by a continuation
        if "error" in result:
            error = result["error"]
            if error.get("code") == "BudgetExceeded":  # the site's day is spent: stop it, not the run
                tally.budget_spent[item.site_id] = tally.budget_spent.get(item.site_id, 0) + 1
                return False
            tally.failures.append(
                {"app": item.app, "site_id": item.site_id, "range": item.range, "area": item.area, **error}
            )
            if error.get("config") and tally.stopped is None:
                tally.stopped = f"{error['code']}: {error['message']}"
            return False
        if result["skipped"]:
            tally.skipped += 1
        else:
            tally.computed += 1
            tally.input_tokens += result["input_tokens"]
            tally.output_tokens += result["output_tokens"]
        return True

    def _one(self, item: Item, force: bool) -> dict[str, Any]:
        """One item on a worker thread: skipped, computed (with tokens), or an error."""
        spec = CATALOGUE[item.app]
        data = FinanceFilter(range=item.range, area=item.area)  # type: ignore[arg-type]
        try:
            if not force and self.service.is_fresh(spec, data, item.site_id):
                return {"skipped": True}
            self.limiter.acquire()
            outcome = self.service.logged_resolve(
                spec, data, item.site_id, "prewarm", f"prewarm-{item.key}", refresh=force
            )
        except Exception as exc:  # one bad item must not stop the rest, unless no item can succeed
            if isinstance(exc, BailianError):
                log.warning("prewarm item %s failed: %s", item.key, exc)
            else:
                log.exception("prewarm item %s failed", item.key)
            code = str(getattr(exc, "code", type(exc).__name__))
            config = isinstance(exc, AuthError) or code in CONFIG_ERROR_CODES
            return {
                "error": {"code": code, "message": str(exc)[:300], **({"config": True} if config else {})}
            }
        usage = outcome.usage or {}
        return {
            "skipped": outcome.cache == "hit",
            "input_tokens": count(usage.get("input_tokens")),
            "output_tokens": count(usage.get("output_tokens")),
        }
