"""The scheduled jobs, run by the timer function (deployed as ``prewarm`` in s.yaml, a resource name
that stays): its FC entry and wiring (``function.py``) and the job handlers it dispatches: App2's
cache prewarm (``app2.py``), housekeeping and retention sweeps, and the dashboard roll-ups."""
