"""One scope rule on every admin operation, walked from ``/admin/openapi.json`` itself.

Every operation of the admin document × every role (staff, manager, the admin of site A, the admin
of site B, a platform admin) × a target site (A or B), through the admin function's FC HTTP events,
on a store holding records of both sites and of the whole deployment. An operation of the document
that :data:`PROBES` does not classify fails the test: a new admin route cannot skip the rule.

Kinds: ``site`` acts on the target site (a site admin only on its own); ``platform`` touches every
site or what they share (platform admins only); ``filtered`` lists records and a site admin's answer
holds only its own site's; ``schedule`` reads what is no site's (cron, input schemas): any admin.
Staff and managers are refused everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from support import SECRET
from test_admin_scope import call

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction, document
from bailian_fc.admin.views import audit_site
from bailian_fc.auth import Authenticator
from bailian_fc.clock import SandboxContext
from bailian_fc.jobs.queue import queue_run
from bailian_fc.runlog import record as runlog
from bailian_fc.runlog import trace
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore

A, B = "site-001", "site-002"
AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
ROLES = {
    "staff": (AUTH.mint("st-1", A, "staff"), None),
    "manager": (AUTH.mint("mg-1", A, "manager"), None),
    "admin A": (AUTH.mint("adm-a", A, "admin"), A),
    "admin B": (AUTH.mint("adm-b", B, "admin"), B),
    "platform": (AUTH.mint("root", A, "admin", platform=True), "*"),
}
DOC = document()


@dataclass(frozen=True)
class Probe:
    kind: str  # site | platform | filtered | schedule
    method: str
    path: str
    body: Callable[[str], Any] = lambda target: None
    query: Callable[[str], dict[str, str]] = lambda target: {}
    sites: Callable[[Any], list[Any]] = field(default=lambda body: [])  # filtered: the records' sites
    # filtered, where the seeded store has records of both sites there: the platform admin sees
    # both, a site admin its own (so an empty answer cannot pass for a scoped one)
    seeded: bool = True


def _ctx(scope: str, target: str) -> dict[str, Any]:
    body = {"mode": "offset", "offset_seconds": 60, "reason": "scope matrix", "scope": scope}
    return {**body, "site_id": target} if scope == "site" else body


def _last_run_sites(body: Any) -> list[Any]:
    jobs = body["jobs"] if "jobs" in body else [body]
    return [j["last_run"]["site_id"] for j in jobs if j["last_run"]]


PROBES: dict[tuple[str, str], list[Probe]] = {
    ("GET", "/admin/runlogs"): [
        Probe("site", "GET", "/admin/runlogs", query=lambda t: {"site": t}),
        Probe("filtered", "GET", "/admin/runlogs", sites=lambda b: [i["site_id"] for i in b["items"]]),
    ],
    # A site admin finds only its own site's record under a request id (another site's: 404).
    ("GET", "/admin/runlogs/{request_id}"): [
        Probe("filtered", "GET", "/admin/runlogs/r", sites=lambda b: [b["record"]["site_id"]], seeded=False)
    ],
    ("GET", "/admin/budgets"): [Probe("site", "GET", "/admin/budgets", query=lambda t: {"site": t})],
    ("PUT", "/admin/budgets/{site_id}"): [
        Probe("platform", "PUT", "/admin/budgets/site-002", body=lambda t: {"daily_budget_cny": 5})
    ],
    ("GET", "/admin/dashboard"): [
        Probe("site", "GET", "/admin/dashboard", query=lambda t: {"site": t}),
        # No site: a site admin's own site, the platform admin's every site (the all-sites view).
        Probe("filtered", "GET", "/admin/dashboard", sites=lambda b: b["sites"]),
    ],
    ("GET", "/admin/triggers"): [
        Probe("filtered", "GET", "/admin/triggers", sites=_last_run_sites, seeded=False)
    ],
    ("GET", "/admin/triggers/{job}"): [
        Probe("filtered", "GET", f"/admin/triggers/{job}", sites=_last_run_sites, seeded=False)
        for job in ("app2_prewarm", "runlog_rollup")
    ],
    ("PUT", "/admin/triggers/{job}"): [
        Probe("platform", "PUT", "/admin/triggers/app2_prewarm", body=lambda t: {"description": "x"})
    ],
    ("POST", "/admin/triggers/{job}/run"): [
        Probe("site", "POST", "/admin/triggers/app2_prewarm/run", body=lambda t: {"site_id": t}),
        Probe("platform", "POST", "/admin/triggers/app2_prewarm/run", body=lambda t: {}),
        # Jobs over the whole store, whatever site_id the request names.
        *(
            Probe("platform", "POST", f"/admin/triggers/{job}/run", body=lambda t: {"site_id": t})
            for job in ("runlog_rollup", "cache_housekeeping")
        ),
    ],
    ("GET", "/admin/runtime-context"): [
        Probe(
            "filtered",
            "GET",
            "/admin/runtime-context",
            sites=lambda b: [c["site_id"] for c in b["contexts"] if c["scope"] == "site"],
        )
    ],
    ("PUT", "/admin/runtime-context"): [
        Probe("site", "PUT", "/admin/runtime-context", body=lambda t: _ctx("site", t)),
        Probe("platform", "PUT", "/admin/runtime-context", body=lambda t: _ctx("global", t)),
    ],
    ("DELETE", "/admin/runtime-context"): [
        Probe("site", "DELETE", "/admin/runtime-context", query=lambda t: {"scope": "site", "site_id": t}),
        Probe("platform", "DELETE", "/admin/runtime-context", query=lambda t: {"scope": "global"}),
    ],
    ("POST", "/admin/cache/purge"): [
        Probe("site", "POST", "/admin/cache/purge", body=lambda t: {"site_id": t}),
        Probe("site", "POST", "/admin/cache/purge", body=lambda t: {"site_id": t, "app": "app2_finance"}),
    ],
    ("GET", "/admin/triggers/{job}/runs"): [
        Probe(
            "filtered",
            "GET",
            f"/admin/triggers/{job}/runs",
            sites=lambda b: [r["site_id"] for r in b["runs"]],
            seeded=job == "app2_prewarm",
        )
        for job in ("app2_prewarm", "runlog_rollup")
    ],
    ("GET", "/admin/cron/preview"): [
        Probe("schedule", "GET", "/admin/cron/preview", query=lambda t: {"cron": "0 0 9 * * *"})
    ],
    ("GET", "/admin/queue"): [
        Probe("filtered", "GET", "/admin/queue", sites=lambda b: [e.get("site_id") for e in b["queued"]])
    ],
    ("GET", "/admin/runtime-context/audit"): [
        Probe(
            "filtered",
            "GET",
            "/admin/runtime-context/audit",
            sites=lambda b: [audit_site(r) for r in b["audit"]],
        )
    ],
    ("GET", "/admin/apps/schemas"): [Probe("schedule", "GET", "/admin/apps/schemas")],
    ("GET", "/admin/apps"): [Probe("schedule", "GET", "/admin/apps")],
    ("GET", "/admin/jobs/kinds"): [Probe("schedule", "GET", "/admin/jobs/kinds")],
    # Job definitions are shared by every site: who changed them is no one site's record.
    ("GET", "/admin/jobs/audit"): [Probe("schedule", "GET", "/admin/jobs/audit")],
    ("POST", "/admin/triggers"): [
        Probe(
            "platform",
            "POST",
            "/admin/triggers",
            body=lambda t: {"name": f"probe_{t}", "kind": "cache_housekeeping", "cron": "0 0 4 * * *"},
        )
    ],
    ("DELETE", "/admin/triggers/{job}"): [Probe("platform", "DELETE", "/admin/triggers/cache_housekeeping")],
}


def admin_operations() -> list[tuple[str, str]]:
    """Every operation of the document that needs a token (its own route is public)."""
    return [
        (method.upper(), path)
        for path, item in DOC["paths"].items()
        for method, op in item.items()
        if method in ("get", "put", "post", "delete", "patch") and op.get("security") != []
    ]


@pytest.fixture
def rt(tmp_path: Any) -> Any:
    """Records of both sites and of the whole deployment, in every place an admin can read."""
    settings = Settings(store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET)
    runtime = AdminFunction.build(settings, FileStore(tmp_path / "store"))
    admin_function.configure(runtime)
    slot = datetime(2026, 1, 5, 0, 0, tzinfo=timezone.utc)
    for site in (A, B, None):
        runtime.jobs.record_run("app2_prewarm", slot, {}, trigger="manual", site_id=site)
        queue_run(runtime.store, "app2_prewarm", site, False, "seed")
    runtime.jobs.record_run("runlog_rollup", slot, {}, trigger="timer")
    wall = runtime.clock.wall_now()
    for scope, site in (("site", A), ("site", B), ("global", None)):
        ctx = SandboxContext.model_validate(
            {
                **_ctx(scope, site or ""),
                "expires_at": wall + timedelta(hours=1),
                "set_by": "seed",
                "set_at": wall,
            }
        )
        runtime.clock.set_context(ctx, "seed")
    for site in (A, B):
        record = runlog.RunRecord(
            app="app2_finance", site_id=site, user="u", request_id="r", cache="miss", status="ok"
        )
        runlog.write(runtime.store, record)
        ref = trace.TraceRef.of(record.at, record.request_id, record.id)
        trace.write(runtime.store, ref, record=asdict(record), input={}, output={}, max_bytes=4096)
    yield runtime
    admin_function.configure(None)


def test_the_document_is_the_one_the_function_serves(rt: Any) -> None:
    status, served = call("GET", "/admin/openapi.json", ROLES["staff"][0])
    assert status == 200 and served == DOC


def test_every_admin_operation_is_classified() -> None:
    missing = sorted(set(admin_operations()) - set(PROBES))
    assert not missing, f"classify these admin operations in PROBES (and in admin/scope.py): {missing}"
    assert len(admin_operations()) >= 15


@pytest.mark.parametrize("operation", admin_operations(), ids=lambda op: f"{op[0]} {op[1]}")
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("target", [A, B])
def test_one_scope_rule(rt: Any, operation: tuple[str, str], role: str, target: str) -> None:
    token, own = ROLES[role]
    for probe in PROBES[operation]:
        status, body = call(probe.method, probe.path, token, probe.body(target), probe.query(target))
        where = f"{probe.method} {probe.path} body={probe.body(target)} query={probe.query(target)} as {role}"
        assert status < 500, (where, body)
        refused = status == 403 and body["error"]["code"] in ("Forbidden", "Unauthorized")
        if own is None:
            assert refused, f"{where}: staff and managers are no admins ({status} {body})"
            continue
        allowed = {
            "site": own == "*" or own == target,
            "platform": own == "*",
            "filtered": True,
            "schedule": True,
        }[probe.kind]
        assert refused is not allowed, f"{where} on {target}: {status} {body}"
        if probe.kind == "filtered":
            sites = probe.sites(body)
            if own != "*":
                assert set(sites) <= {own}, f"{where}: a site admin sees only its own site ({sites})"
            if probe.seeded:
                expected = {A, B} if own == "*" else {own}
                assert expected <= set(sites), f"{where}: {expected} are there ({sites})"
