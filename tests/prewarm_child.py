"""One App2 prewarm run in its own process, as on its own FC instance: ``python prewarm_child.py
STORE_DIR BASE_URL SITE QPS``. The runtime's handler is the deployed one (its limiter included)."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone

from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.scheduled.function import ScheduledFunction
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore

if __name__ == "__main__":
    store_dir, base_url, site, qps = sys.argv[1:5]
    settings = Settings(
        dashscope_api_key="k",
        dashscope_base_url=base_url,
        store_url=f"file://{store_dir}",
        prewarm_concurrency=4,
        prewarm_qps=float(qps),
        bailian_backoff_base_seconds=0.01,
    )
    runtime = ScheduledFunction.build(settings, FileStore(store_dir))
    run = JobRun(
        job="app2_prewarm",
        slot=datetime.now(timezone.utc),
        payload={"site_id": site, "force": True},
        deadline=time.monotonic() + 600,
        trigger="manual",
    )
    print(json.dumps(runtime.handlers()["app2_prewarm"](run), ensure_ascii=False, default=str))
