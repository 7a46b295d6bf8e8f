"""Daily limits on single-turn apps: a ¥ budget per site and a call limit per user, per business day.

Only an upstream call counts: a cache hit is served whatever the counts say, and the check runs on
a miss only (just before the call), so the cache-hit path reads nothing more. Each upstream call
leaves one empty create-only key whose name is its spend::

    budget-spend/{business date}/{site}/{record id}~{user}~{micro-¥}

so the check is one key listing of the site's day (no body read, no counter to race on). Calls
checked at the same moment can each pass: the bound can be exceeded by the calls in flight.
Past a limit the call is refused before Bailian is asked: 429 ``BudgetExceeded`` (the site's ¥)
or ``UserLimitExceeded`` (the user's calls), ``Retry-After`` the next business-day start. The
prewarm (user ``prewarm``) counts against its site's budget, never against a user limit.

Limits are ``SITE_DAILY_BUDGET_CNY`` / ``USER_DAILY_APP_CALLS`` (0: none), overridden per site by
``PUT /admin/budgets/{site_id}``: each change a new create-only version
(``budget-overrides/{site}/{id}.json``, who and when), the newest one in force, the older ones its
audit. Business days follow ``BUSINESS_TZ``/``BUSINESS_DAY_START`` on the live clock (a sandbox
clock does not reset a budget).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from ..clock import BusinessCalendar
from ..errors import LimitReached
from ..ids import new_id
from ..retention import DAY, RetentionRule, Sweep, id_time, ordered
from ..settings import Settings
from ..store import Store, StoreError
from .index import decode, encode

SPEND_PREFIX = "budget-spend/"
OVERRIDE_PREFIX = "budget-overrides/"
PREWARM_USER = "prewarm"
MICRO = 1_000_000
OVERRIDE_CACHE_SECONDS = 30.0  # an edit reaches every warm instance within this


class BudgetExceeded(LimitReached):
    default_code = "BudgetExceeded"


class UserLimitExceeded(LimitReached):
    default_code = "UserLimitExceeded"


class BudgetPatch(BaseModel):
    """``PUT /admin/budgets/{site_id}``: null means "the deployment's default"."""

    model_config = ConfigDict(extra="forbid", strict=True)

    daily_budget_cny: StrictFloat | StrictInt | None = Field(default=None, ge=0, le=1_000_000)
    user_daily_app_calls: StrictInt | None = Field(default=None, ge=0, le=1_000_000)
    note: str | None = Field(default=None, max_length=200)


class BudgetView(BaseModel):
    """A site's limits in force today and what it has spent."""

    site_id: str
    business_date: str
    daily_budget_cny: float  # 0: no budget
    user_daily_app_calls: int  # 0: no limit
    source: str  # default | override
    spent_cny: float
    upstream_calls: int
    share: float | None  # spent / budget (None without a budget)
    updated_by: str | None = None
    updated_at: float | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    daily_budget_cny: float
    user_daily_app_calls: int
    source: str
    override: dict[str, Any] | None = None


@dataclass(frozen=True)
class Spend:
    cny: float
    calls: int
    by_user: dict[str, int]


def spend_prefix(day: str, site: str) -> str:
    return f"{SPEND_PREFIX}{day}/{encode(site)}/"


class Budgets:
    def __init__(self, settings: Settings, store: Store, wall: Any = time.time) -> None:
        self.settings, self.store, self.wall = settings, store, wall
        self.calendar = BusinessCalendar.from_settings(settings)
        self._overrides: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def day(self, now: float | None = None) -> tuple[str, float]:
        """Today's business date and the seconds until the next one starts."""
        now = self.wall() if now is None else now
        instant = datetime.fromtimestamp(now, timezone.utc)
        today = self.calendar.business_date(instant)
        _, end = self.calendar.day_bounds(today)
        return today.isoformat(), max(1.0, end.timestamp() - now)

    # -- limits ---------------------------------------------------------------------------------

    def history(self, site: str) -> list[dict[str, Any]]:
        keys = self.store.list(f"{OVERRIDE_PREFIX}{encode(site)}/")
        out = []
        for key in keys:
            try:
                body = self.store.get_json(key)
            except ValueError:
                continue
            if isinstance(body, dict):
                out.append(body)
        return out

    def override(self, site: str, *, fresh: bool = False) -> dict[str, Any] | None:
        cached = self._overrides.get(site)
        if cached is not None and not fresh and time.monotonic() - cached[0] < OVERRIDE_CACHE_SECONDS:
            return cached[1]
        keys = self.store.list(f"{OVERRIDE_PREFIX}{encode(site)}/")
        body = None
        for key in reversed(keys):  # the newest readable version is in force
            try:
                body = self.store.get_json(key)
            except ValueError:
                continue
            if isinstance(body, dict):
                break
            body = None
        self._overrides[site] = (time.monotonic(), body)
        return body

    def limits(self, site: str, *, fresh: bool = False) -> Limits:
        over = self.override(site, fresh=fresh)
        budget, calls = self.settings.site_daily_budget_cny, self.settings.user_daily_app_calls
        if over is None:
            return Limits(budget, calls, "default")
        b, c = over.get("daily_budget_cny"), over.get("user_daily_app_calls")
        return Limits(
            float(b) if isinstance(b, (int, float)) and not isinstance(b, bool) else budget,
            int(c) if isinstance(c, int) and not isinstance(c, bool) else calls,
            "override",
            over,
        )

    def set_override(self, site: str, patch: BudgetPatch, by: str) -> dict[str, Any]:
        body = {**patch.model_dump(), "site_id": site, "updated_by": by, "updated_at": self.wall()}
        self.store.put_json_if_absent(f"{OVERRIDE_PREFIX}{encode(site)}/{new_id('b')}.json", body)
        self._overrides.pop(site, None)
        return body

    # -- spend ----------------------------------------------------------------------------------

    def spend(self, site: str, day: str) -> Spend:
        cny, calls = 0, 0
        by_user: dict[str, int] = {}
        for key in self.store.list(spend_prefix(day, site)):
            parts = key.rsplit("/", 1)[-1].split("~")
            if len(parts) != 3 or not parts[2].isdigit():
                continue  # not ours: skipped
            calls += 1
            cny += int(parts[2])
            user = decode(parts[1])
            by_user[user] = by_user.get(user, 0) + 1
        return Spend(cny / MICRO, calls, by_user)

    def check(self, site: str, user: str) -> None:
        """Refuse an upstream call past today's limits (nothing is read when there are none)."""
        limits = self.limits(site)
        per_user = limits.user_daily_app_calls if user != PREWARM_USER else 0
        if not limits.daily_budget_cny and not per_user:
            return
        day, retry_after = self.day()
        spent = self.spend(site, day)
        if limits.daily_budget_cny and spent.cny >= limits.daily_budget_cny:
            raise BudgetExceeded(
                f"site {site} has spent its daily budget of ¥{limits.daily_budget_cny:g}; cached answers"
                " are still served",
                retry_after=retry_after,
            )
        if per_user and spent.by_user.get(user, 0) >= per_user:
            raise UserLimitExceeded(
                f"{per_user} new answers a day per user; cached answers are still served",
                retry_after=retry_after,
            )

    def note(self, site: str, user: str, record_id: str, cost_cny: float, at: float) -> None:
        """Count one upstream call (never raises: a lost count must not fail the answer)."""
        day, _ = self.day(at)
        key = f"{spend_prefix(day, site)}{record_id}~{encode(user)}~{round(cost_cny * MICRO)}"
        try:
            self.store.put_if_absent(key, b"")
        except StoreError:
            pass

    def view(self, site: str) -> BudgetView:
        limits = self.limits(site, fresh=True)
        day, _ = self.day()
        spent = self.spend(site, day)
        over = limits.override or {}
        return BudgetView(
            site_id=site,
            business_date=day,
            daily_budget_cny=limits.daily_budget_cny,
            user_daily_app_calls=limits.user_daily_app_calls,
            source=limits.source,
            spent_cny=round(spent.cny, 6),
            upstream_calls=spent.calls,
            share=round(spent.cny / limits.daily_budget_cny, 4) if limits.daily_budget_cny else None,
            updated_by=over.get("updated_by"),
            updated_at=over.get("updated_at"),
            history=self.history(site)[-20:],
        )


def spend_time(rest: str) -> float | None:
    """``2024-04-30/…`` → the end of that business date's UTC day (a day's counts are kept whole)."""
    try:
        return datetime.strptime(rest[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() + DAY
    except ValueError:
        return None


def _overrides(sweep: Sweep, cursor: dict[str, Any], rule: RetentionRule) -> bool:
    """Older versions of a site's limits go after the audit period; the one in force never does."""
    del cursor
    cutoff = sweep.now - rule.kept_seconds(sweep.settings)
    newest: dict[str, str] = {}
    keys = list(sweep.keys(OVERRIDE_PREFIX, ""))
    for key in keys:
        newest[key.rsplit("/", 1)[0]] = key  # keys list in id (time) order
    for key in keys:
        if newest[key.rsplit("/", 1)[0]] == key:
            continue
        at = id_time(key)
        if at is not None and at < cutoff:
            sweep.delete(key)
        if sweep.spent:
            return False
    return True  # the listing is every site's versions: a handful, swept whole each tick


RETENTION = [
    RetentionRule("budget-spend", SPEND_PREFIX, ordered(spend_time), fixed_seconds=8 * DAY),
    RetentionRule("budget-overrides", OVERRIDE_PREFIX, _overrides, "retention_audit_days"),
]
