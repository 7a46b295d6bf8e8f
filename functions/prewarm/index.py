"""FC built-in python3.10 entry for the prewarm function (handler: index.handler, initializer: index.initialize).

Thin on purpose: decoding, routing and the scheduled jobs live in `bailian_fc.scheduled`.
"""

from bailian_fc.scheduled.function import handler, initialize

__all__ = ["handler", "initialize"]
