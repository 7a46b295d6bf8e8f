"""Which sites an admin may act on (docs/contracts.md, "Tokens and admin scope"): one rule for every admin operation.

An admin token acts on its own ``site_id`` only, and sees only what belongs to that site: its run
logs, its runtime context and that context's audit, the runs of a job that acted on that site
alone (list, ``last_run``), the run-now queue entries for that site. A *platform admin* (role
``admin`` and the claim ``"platform": true``, minted with ``bailian-fc token --role admin
--platform``) acts on every site and on what is shared by all of them: the all-sites dashboard,
global runtime contexts (and their audit), trigger definitions, jobs that act on every site
(:data:`PER_SITE_KINDS` lists the kinds whose run can confine to one site: the rule reads what
runs, a job's kind, never its display name), runs over every site.
Reading the schedule itself (a job's cron, a cron preview, the apps' input schemas) is harmless.

``tests/test_admin_scope.py`` walks every operation of ``/admin/openapi.json`` with every role
against two sites, so a new route must say here which kind it is before its test passes.
"""

from __future__ import annotations

from ..auth import Principal
from ..errors import Forbidden
from ..jobs.store import Job

# Job kinds whose run, given a site_id, reads and writes that site only. Every other kind (the run-log
# roll-up, cache housekeeping) acts on the whole store whatever its payload or name says: platform only.
PER_SITE_KINDS = frozenset({"app2_prewarm"})


def is_per_site(job: Job) -> bool:
    """Whether ``job``'s run can be confined to one site: decided by its kind, not its name."""
    return job.handler_kind in PER_SITE_KINDS


def forbidden(message: str) -> Forbidden:
    return Forbidden(message)


def require_platform(principal: Principal, what: str) -> None:
    if not principal.platform:
        raise forbidden(f"{what} needs a platform admin token (claim platform: true)")


def own_site(principal: Principal, site_id: str | None, what: str) -> str | None:
    """The site an admin's request acts on: its own by default; another site or all (None) only for a
    platform admin, whose ``site_id`` is passed through as given."""
    if principal.platform:
        return site_id
    if site_id is None:
        return principal.site_id
    if site_id != principal.site_id:
        raise forbidden(f"{what}: an admin acts on its own site ({principal.site_id}) only")
    return site_id


def visible_site(principal: Principal, site_id: object) -> bool:
    """Whether a record of ``site_id`` (None: every site, or the whole deployment) may be shown."""
    return principal.platform or (isinstance(site_id, str) and site_id == principal.site_id)


def job_run_site(principal: Principal, job: Job, site_id: str | None) -> str | None:
    """The site a run-now of ``job`` acts on, checked: a site admin may start a per-site job for its
    own site only; a job over every site, or one that ignores the site, needs a platform admin."""
    if not is_per_site(job):
        require_platform(principal, f"running {job.name} (a {job.handler_kind} job acts on every site)")
        return site_id
    if site_id is None:
        require_platform(principal, "a run over every site")
    return own_site(principal, site_id, "running a trigger")
