"""FC built-in python3.10 entry for the admin function (handler: index.handler, initializer: index.initialize).

Thin on purpose: decoding, routing and the domain live in `bailian_fc.admin`.
"""

from bailian_fc.admin.function import handler, initialize

__all__ = ["handler", "initialize"]
