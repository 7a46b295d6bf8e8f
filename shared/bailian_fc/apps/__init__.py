"""The apps function's domain: single-turn apps, cached, logged."""
