"""Trigger jobs, their claims, runs and resume points in the store.

Key layout (all JSON)::

    jobs/defs/{name}.json                      the job: created create-only (one winner of racing creates),
                                               then edited last-writer-wins (edits are rare, single-actor)
    jobs/seeded.json                           the seed marker: the default jobs this store was offered
                                               (seeding runs once per default, never again)
    jobs/tombstones/{name}.json                a deleted job: a default under that name is never re-seeded
    jobs/claims/{name}/{slot}[-{tag}]/…        a claim (bailian_fc.store.claims): its one winner owns
                                               (job, slot[, tag]); taken with a short ttl and a heartbeat
                                               while the run works, settled (never expires) once recorded
    jobs/runs/{name}/v2/{yyyy-mm}/{dd}/{new_id('j')}.json
                                               run records, created ``running`` when a run starts and
                                               rewritten by their owner when it ends; ids sort by time.
                                               Day buckets (UTC, from the id) keep each directory small,
                                               so the newest runs are read without listing a year; ``v2``
                                               sorts after the flat keys of older stores (j…), so key
                                               order stays time order across both layouts
    jobs/last/{name}.json                      a copy of the job's newest run record (one read per job)
    jobs/resume/{name}/{slot}.json             where a continuation of the slot starts (only the owner writes)
    jobs/retired/{key}.json                    a deleted job's runs key, so retention still sweeps its records

Runs, last run, claims and resume points are keyed by the job's *runs key* (:attr:`Job.runs_key`):
``{name}.{id}`` for a job with an id, so a job created under a deleted job's name starts clean (no
old last run, no claimed slots); the bare ``{name}`` for a job stored before ids, so its existing
records stay visible. (``{name}`` in the layout above stands for the runs key; ``.`` is not allowed
in a name, so the two forms never meet.)

A ``running`` record whose claim is no longer held by its run (the holder was killed, the
heartbeat stopped, the claim expired or was taken over) reads as ``abandoned``.

``{slot}`` is the UTC fire time as ``%Y%m%dT%H%M%SZ``, so claim keys list in time order.

Why claims are records and not a "last_run" field on the job: OSS has no compare-and-swap,
so two dispatchers that read ``last_run`` and both write it would both run the job. A
create-only key has exactly one winner on every adapter (``O_EXCL``/link, ``If-None-Match``,
``x-oss-forbid-overwrite``), and it never needs updating, so nothing is read-modify-written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..clock import utc_now
from ..ids import ID_RE, new_id
from ..store import Store, StoreError, create_only
from ..store.claims import Claim, Claims
from .cron import Schedule, parse, split_tz
from .seed import DEFAULT_JOBS

log = logging.getLogger(__name__)

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$"
DEFAULT_TZ = "Asia/Shanghai"
DEFS_PREFIX = "jobs/defs/"
SEED_MARKER_KEY = "jobs/seeded.json"

RunStatus = Literal["ok", "partial", "failed", "incomplete", "running", "abandoned"]
Trigger = Literal["timer", "manual"]


def slot_stamp(slot: datetime) -> str:
    """``20240430T233000Z``: the UTC fire time as it appears in keys."""
    if slot.tzinfo is None:
        raise ValueError("slot must be an aware datetime")
    return slot.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class Job(BaseModel):
    """A trigger job: what runs (``name`` selects the handler), when, and with which payload."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(pattern=NAME_PATTERN)
    # The job's immutable id, set once at create. Jobs stored before ids existed have none and are
    # identified by their name (``job_id``), which is what their runs and claims are keyed by.
    id: str = Field(default="", pattern=r"^$|^b[0-9a-f]{22}$")
    # Which handler runs (and which payload model applies, see kinds.py); "" means the job's name,
    # as for the seeded jobs, so stored jobs without the field keep working.
    kind: str = Field(default="", pattern=r"^$|" + NAME_PATTERN)
    cron: str = Field(min_length=1, max_length=200)
    tz: str = DEFAULT_TZ
    enabled: bool = True
    payload: dict[str, Any] = Field(default_factory=dict)
    description: str = Field(default="", max_length=500)
    updated_at: AwareDatetime | None = None
    updated_by: str = ""
    # When the current schedule took effect: last enabled, or last rescheduled while enabled.
    # Slots before it are never run, so re-enabling a job does not replay what it missed.
    enabled_at: AwareDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _tz_from_prefix(cls, data: Any) -> Any:
        """A ``CRON_TZ=`` prefix sets ``tz``; a prefix that contradicts an explicit ``tz`` is refused."""
        if isinstance(data, Mapping) and isinstance(data.get("cron"), str):
            prefix_tz, _ = split_tz(data["cron"])
            if prefix_tz is not None:
                given = data.get("tz")
                if given not in (None, prefix_tz):
                    raise ValueError(f"cron says CRON_TZ={prefix_tz} but tz is {given!r}")
                data = {**data, "tz": prefix_tz}
        return data

    @model_validator(mode="after")
    def _valid_schedule(self) -> Job:
        self.schedule()  # CronError is a ValueError: pydantic reports it as a validation error
        return self

    def schedule(self) -> Schedule:
        return parse(self.cron, self.tz)

    @property
    def handler_kind(self) -> str:
        return self.kind or self.name

    @property
    def job_id(self) -> str:
        """The id to show and to answer a 409 with: the stored id, or the name for a pre-id job."""
        return self.id or self.name

    @property
    def runs_key(self) -> str:
        """Where this job's runs, claims and resume points live (see the module docstring)."""
        return f"{self.name}.{self.id}" if self.id else self.name


class JobRunRecord(BaseModel):
    """One execution of a job (one part of a slot, when a run is resumed)."""

    id: str
    job: str
    # The runs key it is stored under when that is not ``job`` (a job with an id, see Job.runs_key).
    job_key: str = ""
    slot: AwareDatetime
    trigger: Trigger = "timer"
    status: RunStatus = "ok"
    part: int = 0
    force: bool = False
    by: str = ""
    # The one site a run acted on (a manual run given a site_id); None: every site, or none at all.
    # The admin's scope rule reads it: a site admin sees only its own site's runs.
    site_id: str | None = None
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    duration_ms: int | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    # The claim the run works under (base key and token): while it is held, the run is alive.
    claim: str | None = None
    claim_token: str | None = None

    @property
    def runs_key(self) -> str:
        return self.job_key or self.job


JobRef = Job | str  # a job, or the runs key of one (a pre-id job's name)


def key_of(job: JobRef) -> str:
    return job.runs_key if isinstance(job, Job) else job


class ResumeState(BaseModel):
    """Where an unfinished run of a slot stopped, and which part continues it.

    Written only by the current owner of the slot (the claimant of part ``part - 1``), so it is
    safely last-writer-wins. ``not_before`` keeps a continuation from starting while the owner
    might still be alive (until its FC timeout has certainly passed).
    """

    part: int = Field(ge=1)
    state: dict[str, Any] = Field(default_factory=dict)
    done: bool = False
    not_before: AwareDatetime | None = None
    by: str = ""
    saved_at: AwareDatetime | None = None
    run_id: str | None = None  # the run that wrote it, marked abandoned when a continuation takes over


class JobStore:
    """Jobs and their bookkeeping over any :class:`Store` adapter."""

    def __init__(self, store: Store, *, now: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.now = now
        self.claims = Claims(store, wall=lambda: self.now().timestamp())

    # -- definitions --------------------------------------------------------------------------

    def seed(self, config: Iterable[Mapping[str, Any] | Job] | None = None) -> list[str]:
        """Seed the store once: create each configured job it was never offered; the names created.

        The marker ``jobs/seeded.json`` lists the defaults a store was offered. A store with no marker
        (fresh, or from before the marker) gets every default it lacks that has no tombstone, then
        the marker; a store with a marker gets nothing new on a cold start, so a deleted default
        stays deleted and an edit is never overwritten. A default added by a later release is
        :meth:`available` (offered in the console), never forced. Every entry is validated before
        anything is written, so a bad config writes nothing. A kill between the creates and the
        marker leaves creates that the next cold start's create-only writes skip: the same end state.
        """
        now = self.now()
        jobs = [self._seed_job(item, now) for item in (DEFAULT_JOBS if config is None else config)]
        if self._seed_marker() is not None:
            return []
        created = self.ensure(job for job in jobs if not self.is_tombstoned(job.name))
        self.store.put_json(SEED_MARKER_KEY, {"offered": sorted(j.name for j in jobs), "at": now.isoformat()})
        return created

    def ensure(self, config: Iterable[Mapping[str, Any] | Job]) -> list[str]:
        """Create each given job the store lacks (create-only, no marker, tombstones ignored): the
        names created. For tools and tests that lay out jobs; cold starts use :meth:`seed`."""
        now = self.now()
        jobs = [self._seed_job(item, now) for item in config]
        created = [
            j.name for j in jobs if self.store.put_json_if_absent(_def_key(j.name), j.model_dump(mode="json"))
        ]
        if created:
            log.info("seeded jobs %s", created)
        return created

    def available(self, config: Iterable[Mapping[str, Any] | Job] | None = None) -> list[Job]:
        """Defaults this store was never offered (added by a later release) and has no job for."""
        marker = self._seed_marker() or {}
        offered = set(marker.get("offered") or []) if isinstance(marker, dict) else set()
        now = self.now()
        defaults = [self._seed_job(item, now) for item in (DEFAULT_JOBS if config is None else config)]
        return [
            job
            for job in defaults
            if job.name not in offered
            and not self.is_tombstoned(job.name)
            and self._get_quietly(job.name) is None
        ]

    def _seed_marker(self) -> Any:
        try:
            return self.store.get_json(SEED_MARKER_KEY)
        except ValueError:
            log.warning("unreadable seed marker %s: treated as seeded", SEED_MARKER_KEY)
            return {}  # never re-seed on a corrupt marker: resurrecting deleted jobs is the worse failure

    def is_tombstoned(self, name: str) -> bool:
        return self.store.get(_tombstone_key(name)) is not None

    def create(self, job: Job, *, by: str) -> tuple[bool, Job | None]:
        """Create ``job`` create-only with a fresh id: ``(True, saved)`` for the one winner of racing
        creates, ``(False, the winner)`` for the others (None when the winner is unreadable).

        Creating a name clears its tombstone (an operator's explicit create wins over a past delete).
        """
        now = self.now()
        stamped = job.model_copy(
            update={
                "id": new_id("b"),
                "updated_at": now,
                "updated_by": by,
                "enabled_at": now if job.enabled else None,
            }
        )
        won, stored = create_only(self.store, _def_key(job.name), stamped.model_dump(mode="json"))
        if won:
            self.store.delete(_tombstone_key(job.name))
            return True, stamped
        try:
            return False, Job.model_validate(stored) if stored else None
        except ValidationError:
            return False, None

    def get(self, name: str) -> Job | None:
        raw = self.store.get_json(_def_key(name))
        if raw is None:
            return None
        try:
            return Job.model_validate(raw)
        except ValidationError as exc:
            raise StoreError(f"stored job {name!r} is invalid: {exc.error_count()} error(s)") from exc

    def save(self, job: Job, *, by: str | None = None) -> Job:
        """Write ``job`` (last writer wins), stamping ``updated_*`` and re-arming ``enabled_at``.

        ``enabled_at`` moves to now when the job becomes enabled or its schedule changes while
        enabled; the caller's value is ignored, so no edit can make old slots due again.
        """
        now = self.now()
        previous = self._get_quietly(job.name)
        stamped = job.model_copy(
            update={
                "updated_at": now,
                "updated_by": by or job.updated_by or "admin",
                "enabled_at": _enabled_at(previous, job, now),
            }
        )
        self.store.put_json(_def_key(job.name), stamped.model_dump(mode="json"))
        return stamped

    def delete(self, name: str, *, by: str = "admin") -> None:
        """Tombstone, then remove the definition (claims and runs stay for the record): a kill in
        between leaves a tombstoned job that the next delete finishes; seeding never brings it back."""
        at = self.now().isoformat()
        self.store.put_json(_tombstone_key(name), {"name": name, "by": by, "at": at})
        job = self._get_quietly(name)
        if job is not None and job.id:
            self.store.put_json(_retired_key(job.runs_key), {"name": name, "id": job.id, "at": at})
        self.store.delete(_def_key(name))

    # -- claims -------------------------------------------------------------------------------

    def claim(self, job: JobRef, slot: datetime, by: str, *, tag: str = "") -> bool:
        """Own ``(job, slot[, tag])``: True for exactly one claimant, however many race."""
        return self.take(job, slot, by, tag=tag) is not None

    def take(
        self, job: JobRef, slot: datetime, by: str, *, tag: str = "", ttl: float | None = None
    ) -> Claim | None:
        """Like :meth:`claim`, for ``ttl`` seconds (keep it alive, then :meth:`Claims.settle` it)."""
        key = key_of(job)
        record = {"job": key, "slot": slot_stamp(slot), "tag": tag, "by": by, "at": self.now().isoformat()}
        return self.claims.claim(claim_key(key, slot, tag), ttl=ttl, holder=by, data=record)

    def claim_record(self, job: JobRef, slot: datetime, tag: str = "") -> dict[str, Any] | None:
        held = self.claims.current(claim_key(key_of(job), slot, tag))
        return held.get("data") if held is not None else None

    # -- runs ---------------------------------------------------------------------------------

    def record_run(
        self, job: JobRef, slot: datetime, summary: Mapping[str, Any], **fields: Any
    ) -> JobRunRecord:
        """Write a create-only run record; ``fields`` are the other :class:`JobRunRecord` fields."""
        name, runs_key = (job.name, job.runs_key) if isinstance(job, Job) else (job, job)
        record = JobRunRecord(
            id=fields.pop("id", None) or new_id("j"),
            job=name,
            job_key="" if runs_key == name else runs_key,
            slot=slot,
            summary=dict(summary),
            **fields,
        )
        key = run_key(runs_key, record.id)
        if not self.store.put_json_if_absent(key, record.model_dump(mode="json")):
            raise StoreError(f"run record {key!r} already exists")  # an id collision: never expected
        self._put_last(record)
        return record

    def finish_run(self, record: JobRunRecord) -> JobRunRecord:
        """Rewrite a run record we created (only its owner writes it, so last writer wins safely)."""
        self.store.put_json(run_key(record.runs_key, record.id), record.model_dump(mode="json"))
        self._put_last(record)
        return record

    def abandon_run(self, job: JobRef, run_id: str) -> None:
        """Mark a ``running`` record whose holder is gone as ``abandoned`` (called by its successor)."""
        record = self.stored_run(job, run_id)
        if record is not None and record.status == "running":
            self.finish_run(record.model_copy(update={"status": "abandoned", "finished_at": self.now()}))

    def stored_run(self, job: JobRef, run_id: str) -> JobRunRecord | None:
        """One run record as written (``running`` stays ``running``); older stores' flat keys too."""
        name = key_of(job)
        for key in dict.fromkeys((run_key(name, run_id), _legacy_run_key(name, run_id))):
            raw = self.store.get(key)
            if raw is not None:
                return self._parse_run(key, raw, as_stored=True)
        return None

    def runs(self, job: JobRef, limit: int = 20, before: str = "") -> list[JobRunRecord]:
        """The newest ``limit`` run records, newest first (ids sort by creation time).

        One ranged read (:meth:`Store.newest`), so the cost follows ``limit``, not the history;
        ``before`` (a run id) continues an earlier page.
        """
        name = key_of(job)
        found = self.store.newest(f"jobs/runs/{name}/", limit, before=run_key(name, before) if before else "")
        return [r for r in (self._parse_run(key, raw) for key, raw in found) if r is not None]

    def last_run(self, job: JobRef) -> JobRunRecord | None:
        """The job's newest run from its one ``jobs/last/`` record (no listing).

        The copy is written after the run record, so a kill between the two leaves it
        ``running``: then the run record itself (one more read) says how the run ended.
        """
        name = key_of(job)
        record = self._parse_run(_last_key(name), self.store.get(_last_key(name)), as_stored=True)
        if record is None:
            newest = self.runs(name, limit=1)  # a store from before the record existed
            return newest[0] if newest else None
        if record.status == "running":
            record = self.stored_run(name, record.id) or record
        return self._alive_or_abandoned(record)

    def _put_last(self, record: JobRunRecord) -> None:
        last = _last_key(record.runs_key)
        current = self._parse_run(last, self.store.get(last), as_stored=True)
        if current is None or current.id <= record.id:  # an older run finishing late keeps the newer one
            self.store.put_json(last, record.model_dump(mode="json"))

    def _parse_run(self, key: str, raw: bytes | None, *, as_stored: bool = False) -> JobRunRecord | None:
        if raw is None:
            return None
        try:
            record = JobRunRecord.model_validate_json(raw)
        except (ValidationError, ValueError):
            log.warning("skipping unreadable run record %s", key)
            return None
        return record if as_stored else self._alive_or_abandoned(record)

    def _alive_or_abandoned(self, record: JobRunRecord) -> JobRunRecord:
        """A ``running`` record whose claim its run no longer holds reads as ``abandoned``."""
        if record.status != "running" or not record.claim or not record.claim_token:
            return record
        if self.claims.holds(record.claim, record.claim_token):
            return record
        return record.model_copy(update={"status": "abandoned"})

    def site_runs(self, job: JobRef, site_id: str, limit: int = 20, scan: int = 200) -> list[JobRunRecord]:
        """The newest ``limit`` runs that acted on ``site_id`` alone, among the newest ``scan`` runs
        (a bounded read: a site's run older than ``scan`` runs of the job is not looked for)."""
        return [r for r in self.runs(job, limit=scan) if r.site_id == site_id][:limit]

    # -- resume points ------------------------------------------------------------------------

    def resume_state(self, job: JobRef, slot: datetime) -> ResumeState | None:
        name = key_of(job)
        raw = self.store.get_json(_resume_key(name, slot))
        if raw is None:
            return None
        try:
            return ResumeState.model_validate(raw)
        except ValidationError:
            log.warning("ignoring invalid resume state for %s at %s", name, slot_stamp(slot))
            return None

    def save_resume(self, job: JobRef, slot: datetime, state: ResumeState) -> None:
        stamped = state.model_copy(update={"saved_at": self.now()})
        self.store.put_json(_resume_key(key_of(job), slot), stamped.model_dump(mode="json"))

    # -- helpers ------------------------------------------------------------------------------

    def _seed_job(self, item: Mapping[str, Any] | Job, now: datetime) -> Job:
        data = item.model_dump() if isinstance(item, Job) else dict(item)
        data.update(updated_at=now, updated_by="seed", enabled_at=now if data.get("enabled", True) else None)
        return Job.model_validate(data)

    def _get_quietly(self, name: str) -> Job | None:
        try:
            return self.get(name)
        except StoreError as exc:
            if isinstance(exc.__cause__, ValidationError):
                return None  # overwriting a corrupt record is how an admin repairs it
            raise

    def _read_run(self, key: str) -> JobRunRecord | None:
        return self._parse_run(key, self.store.get(key))

    def list(self) -> list[Job]:
        """Every valid job, by name. An invalid record is logged and skipped, not fatal to the rest.

        (Defined last: inside this class body ``list`` names this method.)
        """
        jobs = []
        for key in self.store.list(DEFS_PREFIX):
            name = key[len(DEFS_PREFIX) : -len(".json")]
            try:
                job = self.get(name)
            except StoreError as exc:
                log.error("skipping job %s: %s", name, exc)
                continue
            if job is not None:
                jobs.append(job)
        return jobs


def next_fire_times(job: Job, n: int = 5, after: datetime | None = None) -> list[datetime]:
    """The next ``n`` fire times of ``job`` (aware UTC), for the admin API."""
    return job.schedule().next_fires(after or utc_now(), n)


def claim_key(name: str, slot: datetime, tag: str = "") -> str:
    if tag and not re.match(TAG_PATTERN, tag):
        raise ValueError(f"invalid claim tag {tag!r}")
    suffix = f"-{tag}" if tag else ""
    return f"jobs/claims/{name}/{slot_stamp(slot)}{suffix}"


def active_key(job: JobRef, site_id: str | None) -> str:
    """The claim that allows one manual run per (job, site) at a time (``all`` for every site)."""
    name = key_of(job)
    return f"jobs/active/{name}/site/{site_id}" if site_id else f"jobs/active/{name}/all"


def _def_key(name: str) -> str:
    return f"{DEFS_PREFIX}{name}.json"


def run_key(name: str, run_id: str) -> str:
    """Where run ``run_id`` lives: its UTC day bucket, read from the time in the id."""
    if ID_RE.match(run_id):
        day = datetime.fromtimestamp(int(run_id[1:13], 16) / 1000, timezone.utc)
        return f"jobs/runs/{name}/v2/{day:%Y-%m}/{day:%d}/{run_id}.json"  # small folders at every level
    return _legacy_run_key(name, run_id)


def _legacy_run_key(name: str, run_id: str) -> str:
    return f"jobs/runs/{name}/{run_id}.json"


RETIRED_PREFIX = "jobs/retired/"


def _retired_key(runs_key: str) -> str:
    return f"{RETIRED_PREFIX}{runs_key}.json"


def _tombstone_key(name: str) -> str:
    return f"jobs/tombstones/{name}.json"


def _last_key(name: str) -> str:
    return f"jobs/last/{name}.json"


def _resume_key(name: str, slot: datetime) -> str:
    return f"jobs/resume/{name}/{slot_stamp(slot)}.json"


def _enabled_at(previous: Job | None, job: Job, now: datetime) -> datetime | None:
    if previous is None:
        return now if job.enabled else None
    if not job.enabled:
        return previous.enabled_at
    unchanged = previous.enabled and (previous.cron, previous.tz) == (job.cron, job.tz)
    return previous.enabled_at if unchanged and previous.enabled_at is not None else now
