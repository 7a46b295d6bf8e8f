"""The prewarm function's domain: the timer-tick job handlers (App2 prewarm, housekeeping, rollups)."""
