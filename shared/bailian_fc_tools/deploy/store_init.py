"""``bailian-fc store init``: provision what ``STORE_URL`` needs before the functions run.

Only Tablestore needs anything: the table (see bailian_fc/store/ots.py, create_table, for the
primary key, TTL and max versions and why). Running it again is harmless. Object stores and the
file store need nothing here (a bucket is created with the account, the directory on first write).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bailian_fc.store import StoreError, StoreUnavailable, open_store

_PROBE = "bailian-fc/store-init-probe"


def init_store(url: str, wait_seconds: float = 90.0, poll_seconds: float = 2.0) -> dict[str, Any]:
    """Create the Tablestore table if missing and wait until it serves reads; describe the result."""
    store = open_store(url)
    try:
        if not url.startswith("ots:"):
            return {"store": store.url, "created": False, "note": "nothing to provision for this scheme"}
        from bailian_fc.store.ots import OtsStore, create_table, describe_table

        assert isinstance(store, OtsStore)
        created = create_table(store)
        # A new table answers OTSTableNotReady for up to about a minute while it loads.
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                store.get(_PROBE)
                break
            except StoreUnavailable:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(poll_seconds)
        return {"store": store.url, "created": created, **describe_table(store)}
    finally:
        store.close()


def register(sub: Any) -> None:
    """Add ``store init`` to the ``bailian-fc`` parser (called from cli.py)."""
    store = sub.add_parser("store", help="storage provisioning")
    actions = store.add_subparsers(dest="store_command", required=True)
    init = actions.add_parser(
        "init",
        help="create the Tablestore table STORE_URL names (idempotent)",
        description=(__doc__ or "").replace("``", ""),  # plain text in --help, not reST
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("--url", default=None, help="store URL (default: STORE_URL)")
    init.add_argument("--wait", type=float, default=90.0, help="seconds to wait for a new table to serve")
    init.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bailian_fc.settings import get_settings

    url = args.url or get_settings().store_url
    try:
        result = init_store(url, wait_seconds=args.wait)
    except (StoreError, ValueError) as exc:
        print(f"bailian-fc store init: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
