"""FC built-in python3.10 entry for the apps function (handler: index.handler, initializer: index.initialize).

Thin on purpose: decoding, routing and the domain live in `bailian_fc.apps`.
"""

from bailian_fc.apps.function import handler, initialize

__all__ = ["handler", "initialize"]
