"""The admin back office behind ``/admin/*``: run logs, dashboard, trigger jobs, runtime context, cache.

* :mod:`.function` — the FC entry (``handler``, ``initialize``, ``configure``) and the routes' auth.
* :mod:`.runlogs` — newest-first run log pages with an append-stable cursor.
* :mod:`.dashboard` — hourly roll-ups (``rollup_pending``, also for the prewarm timer) and the report.
* :mod:`.routes` — triggers, runtime context and cache purge; :mod:`.queue` — manual-run queue.

Nothing is imported here eagerly, so ``from bailian_fc.runlog.dashboard import rollup_pending`` in
the prewarm function does not pay for the admin routes.
"""
