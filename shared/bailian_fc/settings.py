"""Settings from the environment; secrets never come from files in the repo.

A plain pydantic model filled from ``os.environ`` (names case-insensitive, empty values
treated as unset, which is how ``${env('X', '')}`` renders in s.yaml). pydantic-settings
would do the same but costs ~50 ms of every cold start (it imports asyncio and its
cloud-provider sources), a third of the apps function's budget.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time as dtime
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_BASE_URL = "https://dashscope.aliyuncs.com/api/v1"
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    dashscope_api_key: SecretStr | None = None
    dashscope_base_url: str = DEFAULT_BASE_URL
    dashscope_workspace: str | None = None

    store_url: str = "file://.bailian-data"

    # Venue data: unset = the embedded dataset in the store; postgresql://… = the venue's DWS (read
    # role). Secret: the URL carries the password.
    data_url: SecretStr | None = None
    # A request makes at most ~4 reads: 4 × 3 s stays well inside the apps function's 60 s with Bailian's
    # deadline (APPS_DEADLINE_SECONDS) on top.
    data_statement_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    data_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    auth_jwt_secret: SecretStr | None = None
    # Rotation: AUTH_JWT_KID names the current secret (minted tokens carry it as header kid);
    # AUTH_JWT_SECRET_PREVIOUS (named AUTH_JWT_KID_PREVIOUS) still verifies until its tokens expire.
    auth_jwt_kid: str | None = None
    auth_jwt_secret_previous: SecretStr | None = None
    auth_jwt_kid_previous: str | None = None
    auth_issuer: str = "bailian-fc"
    auth_audience: str = "bailian-fc"

    business_tz: str = "Asia/Shanghai"
    business_day_start: str = "08:00"
    # Catalogue keys (comma-separated) this deployment leaves without an app id on purpose: their
    # 503 AppNotConfigured says so, and `bailian-fc validate` stops asking for their BAILIAN_APP_ID_*.
    bailian_apps_disabled: str = ""

    # Upstream call policy (one retry loop; see client.py).
    bailian_max_attempts: int = Field(default=3, ge=1, le=10)
    bailian_deadline_seconds: float = Field(default=120.0, gt=0)
    bailian_connect_timeout: float = Field(default=5.0, gt=0)
    bailian_read_timeout: float = Field(default=60.0, gt=0)
    bailian_max_connections: int = Field(default=500, ge=1)
    bailian_backoff_base_seconds: float = Field(default=0.5, gt=0)

    # Single-turn apps.
    apps_deadline_seconds: float = Field(default=45.0, gt=0)
    apps_wait_seconds: float = Field(default=30.0, gt=0)
    cache_lease_seconds: float = Field(default=10.0, gt=0)  # renewed while its holder works

    # Prewarm.
    prewarm_concurrency: int = Field(default=8, ge=1, le=64)
    prewarm_qps: float = Field(default=5.0, gt=0)  # per job, shared by every run on every instance
    # A job run's claim lapses this long after its last heartbeat: a killed run is resumed after it.
    job_claim_ttl_seconds: float = Field(default=120.0, ge=10, le=3600)

    # Retention (the cache_housekeeping job): how long each kind of record is kept.
    retention_run_log_days: float = Field(default=90.0, gt=0)  # hourly roll-ups are kept
    retention_job_run_days: float = Field(default=90.0, gt=0)
    retention_claim_days: float = Field(default=30.0, gt=0)  # job claims, resume points, queue claims
    retention_audit_days: float = Field(default=365.0, gt=0)
    retention_tmp_hours: float = Field(default=24.0, gt=0)
    housekeeping_budget: int = Field(default=5000, ge=10)  # store operations per tick; the rest resumes

    # Chat.
    chat_ping_seconds: float = Field(default=15.0, gt=0)
    chat_session_max_age_seconds: float = Field(default=3600.0, gt=0)
    chat_session_max_turns: int = Field(default=50, ge=1)
    chat_history_turns: int = Field(default=20, ge=1)
    # A pending turn reads as interrupted after this long: keep it above the chat function's timeout.
    chat_turn_lease_seconds: float = Field(default=660.0, gt=0)
    # Turns (whole conversations, by their last update) older than this are removed by housekeeping; 0 keeps them.
    chat_turn_retention_days: float = Field(default=0.0, ge=0)
    # Per-user bounds (chat/limits.py): 413 ContextTooLarge, 429 TooManyTurns / TooManyConversations.
    chat_max_context_bytes: int = Field(default=8192, ge=64)
    chat_max_turns_per_conversation: int = Field(default=200, ge=1, le=10_000)
    chat_max_conversations_per_day: int = Field(default=100, ge=1, le=10_000)
    # The stored copy of a reply is cut to this many characters (the live stream never is).
    chat_max_stored_answer_chars: int = Field(default=20_000, ge=100)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # Traces (runlog/trace.py): each record's input and output, kept apart from the counts and shorter.
    runlog_payload_retention_days: float = Field(default=30.0, gt=0)
    runlog_payload_max_bytes: int = Field(default=32_768, ge=1024, le=400_000)

    # Prices (runlog/cost.py), ¥ per 1,000 tokens; unset = the model is unpriced (costs 0, counted
    # as unpriced, never guessed). Another model: add its two fields here and to s.yaml/.env.example.
    bailian_price_qwen_max_input: float | None = Field(default=None, ge=0)
    bailian_price_qwen_max_output: float | None = Field(default=None, ge=0)
    bailian_price_qwen_plus_input: float | None = Field(default=None, ge=0)
    bailian_price_qwen_plus_output: float | None = Field(default=None, ge=0)
    bailian_price_qwen_turbo_input: float | None = Field(default=None, ge=0)
    bailian_price_qwen_turbo_output: float | None = Field(default=None, ge=0)
    bailian_price_qwen_flash_input: float | None = Field(default=None, ge=0)
    bailian_price_qwen_flash_output: float | None = Field(default=None, ge=0)
    bailian_price_qwen_long_input: float | None = Field(default=None, ge=0)
    bailian_price_qwen_long_output: float | None = Field(default=None, ge=0)

    # Budgets (runlog/budget.py), per business day; 0 = no limit. Per-site overrides: /admin/budgets.
    site_daily_budget_cny: float = Field(default=0.0, ge=0)
    user_daily_app_calls: int = Field(default=0, ge=0)
    # Trigger jobs (admin): at most this many, each at most this many upstream calls a day (estimated).
    job_max_calls_per_day: int = Field(default=20_000, ge=1)
    max_jobs: int = Field(default=20, ge=1, le=1000)

    # Alerts (scheduled/alerts.py), sent from the timer function: a DingTalk or WeCom group robot.
    alert_webhook_url: SecretStr | None = None  # the robot's URL carries its access token
    alert_webhook_kind: str | None = Field(default=None, pattern="^(dingtalk|wecom)$")  # unset: by host
    alert_error_rate: float = Field(default=0.2, gt=0, le=1)  # errors / calls over the last 15 min
    alert_min_calls: int = Field(default=20, ge=1)  # fewer calls than this in 15 min: no rate alert

    # Checked here, not at first use: a bad zone or day start fails the initializer with the setting's
    # name (and `bailian-fc validate` reports it before deploy), not a request with a traceback.
    @field_validator("business_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("business_day_start")
    @classmethod
    def _day_start(cls, value: str) -> str:
        parse_day_start(value)
        return value

    def app_id(self, key: str) -> str | None:
        """``BAILIAN_APP_ID_<KEY>`` for a catalogue key (read live, so tests and dev can set it)."""
        return os.environ.get(f"BAILIAN_APP_ID_{key.upper()}") or None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = {k.lower(): v for k, v in (os.environ if environ is None else environ).items()}
        return cls.model_validate({name: env[name] for name in cls.model_fields if env.get(name, "") != ""})


def parse_day_start(value: str) -> dtime:
    """``"HH:MM"`` (24 h, zero-padded) to a time; anything else is a configuration error."""
    match = _HHMM.fullmatch(value or "")
    if not match:
        raise ValueError(f"day start must be 'HH:MM' (00:00..23:59), not {value!r}")
    return dtime(int(match.group(1)), int(match.group(2)))


def disabled_apps(value: str) -> frozenset[str]:
    """The catalogue keys of ``BAILIAN_APPS_DISABLED`` (comma-separated, blanks ignored)."""
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (an FC instance's environment does not change)."""
    return Settings.from_env()
