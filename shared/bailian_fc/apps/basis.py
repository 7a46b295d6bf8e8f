"""What an answer is computed from, read live for every request: the app's context, the prompt built
from it, and the digest that keys the model's answer by the data it read.

Figures and counts an answer shows come from here, never from the cache: only the model's part of
an answer is cached, under a key that names the data (``digest``) and the data source (``source``)
it was computed from. Identical data is a hit; changed data is a miss.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..cache import canonical

if TYPE_CHECKING:
    from ..catalogue.prompts import Prompt
    from ..venue import VenueData


@dataclass(frozen=True)
class Basis:
    context: Any  # what the prompt is built from (a dict, or the parent app's answer)
    prompt: Prompt | None  # None when there is nothing to ask (no_data)
    digest: str  # of the context: every row or figure that went into the prompt, nothing else
    live: dict[str, Any] | None  # spec.meta(context): figures and counts, shown as read now
    data_as_of: str | None  # newest load time of the rows read (apps whose data carries one)
    no_data: bool = False  # nothing to say: answered at once, without the model

    def key_part(self, source: str) -> dict[str, str]:
        """What the cache key adds to the input: the data read and where it was read from."""
        return {"data": self.digest, "source": source}


def data_digest(context: Any) -> str:
    """The data that went into a prompt: its context (rows, figures, a parent's answer), canonically
    serialised so a JSON round trip does not change it, without ``data_as_of`` (a re-load of the
    same values is the same data). Not the prompt text: a dict's key order would change it."""
    if isinstance(context, dict):
        context = {k: v for k, v in context.items() if k != "data_as_of"}
    return hashlib.sha256(canonical({"context": context}).encode()).hexdigest()[:32]


NO_DATA_DIGEST = "no-data"


def source_id(venue: VenueData) -> str:
    """A stable name of the data source that holds no credentials: ``embedded`` (the dataset in the
    function's own store), or ``postgresql-<digest of host, port and database>`` (never the login)."""
    url = getattr(venue, "url", None)
    if getattr(venue, "kind", "embedded") != "postgresql" or not isinstance(url, str):
        return str(getattr(venue, "kind", "embedded"))
    parts = urlsplit(url)
    where = f"{(parts.hostname or '').lower()}:{parts.port or 5432}/{parts.path.lstrip('/')}"
    return "postgresql-" + hashlib.sha256(where.encode()).hexdigest()[:16]
