"""Alerts to a DingTalk or WeCom group robot (``ALERT_WEBHOOK_URL``), sent from the timer function only.

Each tick, after the jobs ran, :class:`Alerts` looks at four conditions:

* a timer run that ended ``failed`` or ``partial`` (each job's last run, finished in the last two
  hours): once per run;
* the error rate of the last 15 minutes above ``ALERT_ERROR_RATE`` (errors / calls that reached
  the service, rejections left out; at least ``ALERT_MIN_CALLS`` calls): once per clock hour;
* Bailian refusing the key (``InvalidApiKey``, ``AccessDenied``…) in the last 15 minutes' error
  records or a last run's failures: once per clock hour;
* a site at 80 % and at 100 % of its daily budget (runlog/budget.py): once per site, level and day.

Counting reads key names only (the run-log index of the last two UTC hours, the budget spend
keys) and at most :data:`MAX_ERROR_READS` error records. A condition is sent once: its claim
``alerts/{condition}`` is created create-only before the message goes out, so two ticks never both
send it; when the webhook fails the claim is removed (the failure is logged) and the next tick
tries again. Claims are kept :data:`CLAIM_DAYS` days (the conditions name their hour, day or run).

The payload is the vendor's ``markdown`` message: DingTalk ``{"msgtype": "markdown", "markdown":
{"title", "text"}}``, WeCom ``{"msgtype": "markdown", "markdown": {"content"}}`` (≤ 4,096 bytes);
the kind is ``ALERT_WEBHOOK_KIND`` or told by the host (``qyapi.weixin.qq.com`` is WeCom, anything
else DingTalk). A robot answers 200 with ``errcode`` 0; anything else is a failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from ..jobs.store import JobStore
from ..jsonsafe import loads as json_loads
from ..retention import DAY, RetentionRule, id_time, ordered
from ..runlog import index
from ..runlog.budget import SPEND_PREFIX, Budgets
from ..runlog.index import decode
from ..settings import Settings
from ..store import Store, StoreError

log = logging.getLogger("bailian_fc.scheduled.alerts")

ALERT_PREFIX = "alerts/"
CLAIM_DAYS = 7
WINDOW = timedelta(minutes=15)
RUN_LOOKBACK = timedelta(hours=2)
MAX_ERROR_READS = 200
WECOM_BYTES = 4096
KEY_REFUSED = frozenset(
    {"InvalidApiKey", "NOT AUTHORIZED", "AccessDenied", "App.AccessDenied", "Workspace.AccessDenied"}
)
Post = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Alert:
    condition: str  # what is deduplicated: one message per condition
    day: str  # the condition's date (its run's, hour's or business day's): the claim's folder
    title: str
    lines: list[str]

    def markdown(self) -> str:
        return "\n".join([f"#### {self.title}", *(f"- {line}" for line in self.lines)])


def webhook_kind(url: str, kind: str | None) -> str:
    if kind:
        return kind
    return "wecom" if (urlsplit(url).hostname or "").endswith("qyapi.weixin.qq.com") else "dingtalk"


def payload(alert: Alert, kind: str) -> dict[str, Any]:
    """The vendor's markdown message for ``alert``."""
    text = alert.markdown()
    if kind == "wecom":
        raw = text.encode()[:WECOM_BYTES]
        return {"msgtype": "markdown", "markdown": {"content": raw.decode(errors="ignore")}}
    return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": text}}


def post_json(url: str, body: dict[str, Any]) -> None:
    """POST ``body``; raise unless the robot answers 200 with errcode 0."""
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=5) as reply:
        answer = json_loads(reply.read(65536) or b"{}")
    if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
        raise RuntimeError(f"webhook refused the message: {str(answer)[:200]}")


class Alerts:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        jobs: JobStore,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        post: Post = post_json,
    ) -> None:
        self.settings, self.store, self.jobs, self.now, self.post = settings, store, jobs, now, post

    @property
    def url(self) -> str | None:
        secret = self.settings.alert_webhook_url
        return secret.get_secret_value() if secret is not None else None

    def tick(self) -> dict[str, Any]:
        """Send what is due; the tick's result says what was sent and what failed (never raises)."""
        url = self.url
        if not url:
            return {"configured": False}
        kind = webhook_kind(url, self.settings.alert_webhook_kind)
        sent, failed = [], []
        try:
            due = self.conditions()
        except StoreError as exc:
            log.warning("alerts not checked: %s", exc)
            return {"configured": True, "error": str(exc)[:200]}
        for alert in due:
            claim = f"{ALERT_PREFIX}{alert.day}/{_claim_name(alert.condition)}.json"
            if not self.store.put_json_if_absent(
                claim, {"condition": alert.condition, "at": self.now().timestamp()}
            ):
                continue  # sent already (or being sent by another tick)
            try:
                self.post(url, payload(alert, kind))
                sent.append(alert.condition)
            except Exception as exc:  # a failing robot must not fail the tick: retried next tick
                log.warning("alert %s not sent: %s", alert.condition, exc)
                failed.append(alert.condition)
                self.store.delete(claim)
        return {"configured": True, "kind": kind, "sent": sent, "failed": failed}

    def conditions(self) -> list[Alert]:
        now = self.now()
        return [*self.failed_runs(now), *self.error_alerts(now), *self.budget_alerts(now)]

    # -- conditions -----------------------------------------------------------------------------

    def failed_runs(self, now: datetime) -> list[Alert]:
        alerts = []
        for job in self.jobs.list():
            run = self.jobs.last_run(job.name)
            if run is None or run.finished_at is None or now - run.finished_at > RUN_LOOKBACK:
                continue
            outcome = str(run.summary.get("outcome") or run.status)
            if run.status in ("failed", "partial") or outcome in ("failed", "partial"):
                lines = [f"运行 {run.id}({run.trigger})结果:{outcome}"]
                if run.error or run.summary.get("error"):
                    lines.append(f"原因:{str(run.error or run.summary.get('error'))[:300]}")
                failed = run.summary.get("failed")
                if isinstance(failed, list) and failed:
                    lines.append(f"失败 {len(failed)} 项,首项:{failed[0].get('code')!s}")
                day = f"{run.finished_at.astimezone(timezone.utc):%Y-%m-%d}"
                alerts.append(Alert(f"run:{job.name}:{run.id}", day, f"定时任务 {job.name} {outcome}", lines))
        return alerts

    def error_alerts(self, now: datetime) -> list[Alert]:
        since = (now - WINDOW).timestamp()
        hours = [_floor_hour(now - WINDOW), _floor_hour(now)]
        calls = errors = 0
        error_keys: list[str] = []
        for hour in dict.fromkeys(hours):
            for name in self.store.list(f"{index.hour_prefix(hour)}app/"):  # every record once
                entry = index.parse(name)
                at = id_time(entry.id) if entry else None
                if entry is None or at is None or at < since or entry.status == "rejected":
                    continue
                calls += 1
                if entry.status == "error":
                    errors += 1
                    error_keys.append(f"runlogs/{hour:%Y-%m-%d}/{hour:%H}/{entry.id}.json")
        codes = self._codes(error_keys[-MAX_ERROR_READS:])
        refused = sorted(c for c in codes if c in KEY_REFUSED)
        for job in self.jobs.list():  # a run stopped by the key names it in its failures
            run = self.jobs.last_run(job.name)
            if run is not None and run.finished_at is not None and now - run.finished_at <= RUN_LOOKBACK:
                refused += [
                    str(f.get("code"))
                    for f in run.summary.get("failed") or []
                    if f.get("code") in KEY_REFUSED
                ]
        stamp, day = f"{now:%Y-%m-%dT%H}", f"{now:%Y-%m-%d}"
        alerts = []
        if refused:
            alerts.append(
                Alert(
                    f"key-refused:{stamp}",
                    day,
                    "百炼拒绝了 API Key",
                    [f"错误码:{', '.join(sorted(set(refused)))}", "请检查 DASHSCOPE_API_KEY 与业务空间授权"],
                )
            )
        rate = errors / calls if calls else 0.0
        if calls >= self.settings.alert_min_calls and rate > self.settings.alert_error_rate:
            top = ", ".join(f"{c}×{n}" for c, n in sorted(codes.items(), key=lambda kv: -kv[1])[:3])
            alerts.append(
                Alert(
                    f"error-rate:{stamp}",
                    day,
                    f"近 15 分钟错误率 {rate:.0%}",
                    [
                        f"{errors}/{calls} 次调用失败(阈值 {self.settings.alert_error_rate:.0%})",
                        f"主要错误码:{top}",
                    ],
                )
            )
        return alerts

    def _codes(self, keys: list[str]) -> dict[str, int]:
        codes: dict[str, int] = {}
        for key in keys:
            try:
                record = self.store.get_json(key)
            except ValueError:
                continue
            code = record.get("error_code") if isinstance(record, dict) else None
            if isinstance(code, str):
                codes[code] = codes.get(code, 0) + 1
        return codes

    def budget_alerts(self, now: datetime) -> list[Alert]:
        budgets = Budgets(self.settings, self.store, wall=lambda: now.timestamp())
        day, _ = budgets.day()
        folder = f"{SPEND_PREFIX}{day}/"
        sites = {decode(k[len(folder) :].split("/", 1)[0]) for k in self.store.list(folder)}
        alerts = []
        for site in sorted(sites):
            limits = budgets.limits(site, fresh=True)
            if not limits.daily_budget_cny:
                continue
            spent = budgets.spend(site, day).cny
            share = spent / limits.daily_budget_cny
            for level in (100, 80):
                if share * 100 >= level:
                    alerts.append(
                        Alert(
                            f"budget{level}:{site}:{day}",
                            day,
                            f"门店 {site} 已用今日预算 {share:.0%}",
                            [f"已花费 ¥{spent:.2f} / 预算 ¥{limits.daily_budget_cny:g}({day})"]
                            + (["已停止新的 AI 调用(缓存答案照常提供)"] if level == 100 else []),
                        )
                    )
                    break
        return alerts


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _claim_name(condition: str) -> str:
    """A claim key segment for any condition text: its hash, after a readable, safe prefix."""
    digest = hashlib.sha256(condition.encode()).hexdigest()[:24]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in condition)[:60]
    return f"{safe}-{digest}"


def _claim_time(rest: str) -> float | None:
    """``2024-04-30/…`` → the end of that day."""
    try:
        return datetime.strptime(rest[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() + DAY
    except ValueError:
        return None


RETENTION = [RetentionRule("alerts", ALERT_PREFIX, ordered(_claim_time), fixed_seconds=CLAIM_DAYS * DAY)]
