"""FC custom-runtime entry for the chat Web function: uvicorn on 0.0.0.0:9000.

Thin on purpose: the app lives in ``bailian_fc.chat.function``.
"""

from __future__ import annotations

import os
import sys

from uvicorn.config import Config
from uvicorn.server import Server

from bailian_fc.chat.function import create_app

STARTUP_FAILURE = 3  # uvicorn's exit status when the server did not start


def main() -> None:
    # What uvicorn.run does without reload or workers; uvicorn.main (its CLI: click, the reload
    # supervisors) is not imported (a built dir's uvicorn root is lazy: lazy_roots.LAZY_INITS).
    config = Config(
        create_app,
        factory=True,
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("FC_CUSTOM_LISTEN_PORT", "9000")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        access_log=False,  # the app writes one JSON access line per request (bailian_fc.http.asgi.AccessLog)
        # FC's front end keeps connections open between invocations.
        timeout_keep_alive=75,
    )
    server = Server(config=config)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


if __name__ == "__main__":
    main()
