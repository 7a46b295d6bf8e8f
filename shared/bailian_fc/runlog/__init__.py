"""Run logs: one record per call, the query behind ``GET /admin/runlogs``, and the daily roll-ups."""
