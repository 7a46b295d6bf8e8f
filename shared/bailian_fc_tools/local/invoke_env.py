"""What ``bailian-fc invoke`` adds to the function's environment, and how it reads a job's result.

* ``AUTH_JWT_SECRET`` unset: the dev secret of ``.bailian-data/`` (as ``bailian-fc token`` and
  ``dev`` use), so ``${TOKEN}`` becomes a token the function accepts instead of a crash or a 401.
* ``--emulator``: the bundled Bailian emulator on 127.0.0.1, ``DASHSCOPE_API_KEY``/``_BASE_URL``
  pointed at it and every ``BAILIAN_APP_ID_<KEY>`` set to ``emu-<key>`` (the emulator answers an id
  by the catalogue key it contains, e.g. ``emu-app2_finance`` with an App2-shaped reply). An empty
  store gets the demo finance sample first, as ``dev`` does, so App2 and prewarm have data.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EMULATOR_KEY = "emulator-local-key"
JOB_FAILED_EXIT = 3  # the handler returned, but a job it ran failed


def emulator_app_ids() -> dict[str, str]:
    """``BAILIAN_APP_ID_<KEY>=emu-<key>`` for every catalogue key."""
    from bailian_fc.catalogue.registry import app_keys

    return {f"BAILIAN_APP_ID_{key.upper()}": f"emu-{key}" for key in app_keys()}


def jwt_secret(data_dir: Path) -> str:
    secret = os.environ.get("AUTH_JWT_SECRET")
    if secret:
        return secret
    from bailian_fc_tools.local.server import dev_secret

    print(f"invoke: note: AUTH_JWT_SECRET is unset; using the dev secret of {data_dir}/", file=sys.stderr)
    return dev_secret(data_dir)


@contextlib.contextmanager
def invoke_env(emulator: bool, data_dir: Path = Path(".bailian-data")) -> Iterator[dict[str, str]]:
    """The variables to add to the child's environment, valid while the context is open."""
    env = {"AUTH_JWT_SECRET": jwt_secret(data_dir)}
    if not emulator:
        yield env
        return
    from bailian_fc_tools.emulator import EmulatorThread

    with EmulatorThread() as emu:
        env |= {"DASHSCOPE_API_KEY": EMULATOR_KEY, "DASHSCOPE_BASE_URL": emu.base_url, **emulator_app_ids()}
        print(f"invoke: emulator at {emu.base_url}; every BAILIAN_APP_ID_<KEY> is emu-<key>", file=sys.stderr)
        for note in seed_store(env):
            print(f"invoke: note: {note}", file=sys.stderr)
        yield env


def seed_store(env: dict[str, str]) -> list[str]:
    from bailian_fc.settings import Settings
    from bailian_fc_tools.local.server import seed_demo_finance

    return seed_demo_finance(Settings.from_env({**os.environ, **env}))


def failed_jobs(result: Any) -> list[str]:
    """``job: error`` for every job run in a prewarm handler's result that failed (queued runs too)."""
    if not isinstance(result, dict):
        return []
    runs = [
        *(result.get("results") or []),
        *(r for q in result.get("queued") or [] for r in q.get("results") or []),
    ]
    return [
        f"{r.get('job')}: {r.get('error') or 'failed'}"
        for r in runs
        if isinstance(r, dict) and r.get("status") == "failed"
    ]
