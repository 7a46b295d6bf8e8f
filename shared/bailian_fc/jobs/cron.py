"""Cron schedules for trigger jobs, parsed by croniter (never by hand).

Accepted forms, the same an FC timer trigger accepts plus the classic one:

* 6 fields with seconds **first**, FC style: ``0 30 7 * * *`` (sec min hour dom month dow).
  croniter's own 6-field form puts seconds *last*; ``second_at_beginning=True`` fixes the order.
* 5 fields, minute precision: ``30 7 * * *``.
* an optional ``CRON_TZ=Area/City `` (or ``TZ=``) prefix, as on FC; without one, the zone is the
  ``default_tz`` argument (FC's own default is UTC, a job's is its ``tz`` field).

Refused, with a message an admin can act on: ``@every``/``@daily`` forms (``@every`` is only the
dispatcher's own timer, a job needs wall-clock slots), croniter's 7-field year form, hashed or
random fields (``H``/``R`` would give every parse a different slot, so claims would never
collide), and expressions that never fire (``0 0 0 30 2 *``).

Every instant in and out is an aware datetime; results are in UTC. Slot arithmetic happens in
the schedule's zone, so a zone with DST is handled as croniter handles it (a skipped wall time
fires at the first valid instant, a repeated one fires twice — FC documents the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

__all__ = ["CronError", "Schedule", "parse", "split_tz", "validate_cron", "zone"]

_TZ_PREFIX = re.compile(r"^\s*(?:CRON_TZ|TZ)=(\S*)\s+(.*)$", re.DOTALL)
# croniter's hashed / random field syntax: H, H(0-29), H/5, R, R(1-5)/2 ...
_HASH_FIELD = re.compile(r"[hr](\(\d+-\d+\))?(/\d+)?", re.IGNORECASE)
_PROBE_FROM = datetime(2024, 1, 1, tzinfo=timezone.utc)


class CronError(ValueError):
    """A cron expression or time zone that no job may use; the message says why."""


@dataclass(frozen=True)
class Schedule:
    """A parsed cron expression bound to a time zone."""

    expression: str  # as given, prefix included
    fields: str  # the bare 5 or 6 fields
    tz: tzinfo
    tz_name: str

    @property
    def has_seconds(self) -> bool:
        return len(self.fields.split()) == 6

    def next_fires(self, after: datetime, n: int = 5) -> list[datetime]:
        """The next ``n`` fire times strictly after ``after``, aware UTC."""
        it = self._iter(_aware(after))
        return [_to_utc(it.get_next(datetime)) for _ in range(max(0, n))]

    def latest_slot(self, at: datetime) -> datetime | None:
        """The most recent fire time ``<= at`` (aware UTC), or None when there is none.

        croniter's ``get_prev`` is strict, and fire times are whole seconds, so starting one second
        past ``at`` truncated to the second gives exactly "at or before ``at``".
        """
        start = _aware(at).replace(microsecond=0) + timedelta(seconds=1)
        try:
            return _to_utc(self._iter(start).get_prev(datetime))
        except CroniterBadDateError:
            return None

    def _iter(self, start: datetime) -> croniter:
        return croniter(self.fields, start.astimezone(self.tz), second_at_beginning=True)


# Files in the tz database that are not zones: the machine's own zone (``localtime``, which differs
# between a laptop and FC), a build artefact (``posixrules``) and a placeholder (``Factory``).
NOT_IANA_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def zone(name: str | tzinfo) -> tuple[tzinfo, str]:
    """A tzinfo and its IANA name; CronError for an unknown zone."""
    if isinstance(name, tzinfo):
        return name, str(getattr(name, "key", None) or name.tzname(None) or name)
    if name in NOT_IANA_ZONES:
        raise CronError(f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai'")
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CronError(f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai'") from exc


def split_tz(expr: str) -> tuple[str | None, str]:
    """``("Asia/Shanghai", "0 0 8 * * *")`` for ``"CRON_TZ=Asia/Shanghai 0 0 8 * * *"``."""
    match = _TZ_PREFIX.match(expr)
    if match is None:
        return None, expr.strip()
    if not match.group(1):
        raise CronError(f"empty CRON_TZ= prefix in {expr!r}")
    return match.group(1), match.group(2).strip()


def parse(expr: str, default_tz: str | tzinfo = "UTC") -> Schedule:
    """Parse a job's cron expression; raise :class:`CronError` with a clear message when unusable."""
    if not isinstance(expr, str) or not expr.strip():
        raise CronError("cron expression is empty")
    prefix_tz, fields = split_tz(expr)
    tz, tz_name = zone(prefix_tz if prefix_tz is not None else default_tz)
    _check_form(expr, fields)
    try:
        it = croniter(fields, _PROBE_FROM.astimezone(tz), second_at_beginning=True)
    except (CroniterBadCronError, CroniterError, ValueError, KeyError) as exc:
        raise CronError(f"invalid cron expression {expr!r}: {exc}") from exc
    try:
        it.get_next(datetime)
    except CroniterBadDateError as exc:
        raise CronError(f"cron expression {expr!r} never fires") from exc
    return Schedule(expression=expr.strip(), fields=" ".join(fields.split()), tz=tz, tz_name=tz_name)


def _check_form(expr: str, fields: str) -> None:
    if fields.startswith("@"):
        raise CronError(
            f"{expr!r}: '@' forms (such as '@every 5m') are only for the dispatcher's own timer; "
            "a job needs a 6-field cron with seconds ('0 30 7 * * *') or a 5-field cron ('30 7 * * *')"
        )
    parts = fields.split()
    if len(parts) not in (5, 6):
        raise CronError(
            f"{expr!r} has {len(parts)} fields: use 6 with seconds first ('0 30 7 * * *') or 5 ('30 7 * * *')"
        )
    for part in parts:
        if any(_HASH_FIELD.fullmatch(item) for item in part.split(",")):
            raise CronError(f"{expr!r}: hashed/random fields (H, R) are not supported")


def _aware(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, like FC's triggerTime."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def validate_cron(expr: str, tz: str | tzinfo = "UTC") -> Schedule:
    """Check a job's cron (admin API, seed config): the parsed schedule, or :class:`CronError`."""
    return parse(expr, tz)
