"""One reading of the runtime clock, and the tag of the context an answer is computed under.

The rule it serves (docs/business-day.md): an answer belongs to one site, one business day and
one clock. Caches key their entries by :class:`Reading`'s ``business_date`` and ``context``, so an
answer is never served on another business day, nor under another clock (live vs a sandbox, or
one sandbox vs the next).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import RuntimeContext

LIVE = "live"


def context_tag(ctx: RuntimeContext | None) -> str:
    """The runtime context an answer is computed under, as a short key segment.

    ``live`` for the real clock; for a sandbox, a digest of its whole stored document, so both its
    identity (scope, site) and its version (mode, instant or offset, ``set_at``) are in it: setting
    the sandbox again, even to the same instant, is a new tag, and clearing it goes back to ``live``.
    """
    if ctx is None:
        return LIVE
    body = json.dumps(ctx.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sbx-" + hashlib.sha256(body.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Reading:
    """One reading of the clock for one site: the instant, its business date and the context tag.

    Taken once per request, so the data bound, the cache key and the answer's ``meta`` agree even
    when the request straddles the day start or a sandbox change.
    """

    site_id: str | None
    now: datetime
    business_date: date
    context: str

    @property
    def live(self) -> bool:
        return self.context == LIVE
