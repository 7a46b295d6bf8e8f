"""FC custom-runtime entry for the chat Web function: uvicorn on 0.0.0.0:9000.

Thin on purpose: the app lives in ``bailian_fc.chat.app``.
"""

from __future__ import annotations

import os

import uvicorn

from bailian_fc.chat.app import create_app


def main() -> None:
    uvicorn.run(
        create_app,
        factory=True,
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("FC_CUSTOM_LISTEN_PORT", "9000")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        access_log=False,  # the app writes one JSON access line per request (bailian_fc.http.asgi.AccessLog)
        # FC's front end keeps connections open between invocations.
        timeout_keep_alive=75,
    )


if __name__ == "__main__":
    main()
