"""The admin function behind ``/admin/*``: run logs, dashboard, trigger jobs, runtime context, cache.

* :mod:`.function` — the FC entry (``handler``, ``initialize``, ``configure``), the route table and
  the routes' auth; :mod:`.openapi` — its operations.
* :mod:`.routes` — triggers, runtime context and cache purge; :mod:`.views` — what the console adds;
  :mod:`.scope` — which sites an admin may act on; :mod:`.console` — the console's static files.

Run logs and their roll-ups live in :mod:`bailian_fc.runlog`, the run-now queue in :mod:`bailian_fc.jobs`.
Nothing is imported here eagerly.
"""
