"""FC built-in python3.10 entry for the prewarm function (handler: index.handler, initializer: index.initialize).

Thin on purpose: decoding, routing and the domain live in `bailian_fc.prewarm`.
"""

from bailian_fc.prewarm.function import handler, initialize

__all__ = ["handler", "initialize"]
