"""What the admin function's routes answer, as models (the console and ``verify`` read these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..http.replies import Clock


class Trigger(BaseModel):
    """A job as the admin sees it: definition, last run, next fires and early-fire warnings."""

    name: str
    kind: str
    enabled: bool
    cron: str
    tz: str
    payload: dict[str, Any]
    description: str
    updated_at: str | None
    updated_by: str | None
    enabled_at: str | None
    last_run: dict[str, Any] | None
    next_fire_times: list[str]
    # a site admin may run it for its own site (admin/scope.py PER_SITE_JOBS); else platform only
    per_site: bool = False
    # a prewarm whose schedule fires before the business-day start (docs/business-day.md)
    warnings: list[str] = Field(default_factory=list)
    # Estimated upstream calls a day when enabled (jobs/estimate.py); above JOB_MAX_CALLS_PER_DAY an
    # enabled job is refused (400 JobTooCostly).
    estimate: dict[str, Any] = Field(default_factory=dict)


class TriggerList(BaseModel):
    jobs: list[Trigger]


class RunStarted(BaseModel):
    """``POST /admin/triggers/{job}/run``: started, queued, already running or already run."""

    started: Literal["now", "queued", "running", "already_ran"]
    job: str
    site_id: str | None
    force: bool
    requested_by: str
    requested_at: str
    run_id: str | None = None
    invocation_id: str | None = None
    queue_id: str | None = None
    queued_by: str | None = None
    queued_at: str | None = None
    reason: str | None = None
    slot: str | None = None
    hint: str | None = None


class RunlogPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    items: list[dict[str, Any]]
    next_cursor: str | None
    limit: int
    from_: str = Field(alias="from")
    to: str
    filters: dict[str, Any]
    scanned: int


class Dashboard(BaseModel):
    days: int
    site: str | None
    sites: list[str]
    from_: str = Field(alias="from")
    to: str
    by_day: list[Any]
    by_app: dict[str, Any]
    by_origin: dict[str, Any]
    by_site: dict[str, Any] | None
    by_user: dict[str, Any] = Field(description="calls, tokens_used and cost_cny per user (sub)")
    feedback: dict[str, Any] = Field(description="ratings per app: up, down, down_share")
    total: dict[str, Any]


class SandboxContext(BaseModel):
    mode: Literal["fixed", "offset"]
    scope: Literal["global", "site"]
    expires_at: str
    reason: str
    set_by: str
    set_at: str
    expired: bool
    redacted: bool = Field(
        default=False, description="reason and set_by withheld (a site admin's view of the global context)"
    )


class ContextList(BaseModel):
    contexts: list[SandboxContext]
    clock: Clock


class Purged(BaseModel):
    deleted: int


class TriggerRuns(BaseModel):
    job: str
    runs: list[dict[str, Any]]


class CronPreview(BaseModel):
    cron: str
    tz: str
    next_fire_times: list[str]


class RunQueue(BaseModel):
    queued: list[dict[str, Any]]


class AuditPage(BaseModel):
    audit: list[dict[str, Any]]


class AppSchemas(BaseModel):
    apps: list[dict[str, Any]]


class AppTitles(BaseModel):
    apps: list[dict[str, Any]]


class JobKinds(BaseModel):
    kinds: list[dict[str, Any]]
