"""The context of every app that reads one customer (App4, App5, App7, App8, and App9 if it does):
the customer's profile — visits, purchases, clues with follow-ups, assigned staff — from the venue
data as of the request's business date, never from the client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from .spec import Sources

if TYPE_CHECKING:
    from ..clock import Reading


def customer_view(sources: Sources, data: Any, site_id: str, reading: Reading) -> dict[str, Any]:
    """The profile of ``data.customer_id``; a customer (or, with a ``clue_id``, a clue of theirs) the
    site lacks is a 404."""
    today = reading.business_date
    profile = sources.venue.customer_profile(site_id, data.customer_id, upper_bound=today)
    if profile is None:
        raise NotFound(f"site {site_id} has no customer {data.customer_id!r}", code="CustomerNotFound")
    clue_id = getattr(data, "clue_id", None)
    if clue_id is not None and all(r.clue.clue_id != clue_id for r in profile.clues):
        raise NotFound(f"customer {data.customer_id!r} has no clue {clue_id!r}", code="ClueNotFound")
    return {"business_date": today.isoformat(), **profile.model_dump(mode="json", exclude={"site_id"})}


def customer_meta(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "business_date": profile["business_date"],
        "customer_id": profile["customer"]["customer_id"],
        "visits": len(profile["visits"]),
        "purchases": len(profile["purchases"]),
        "clues": len(profile["clues"]),
    }


def no_history(profile: dict[str, Any]) -> bool:
    """A customer with no visit, purchase or clue yet: nothing for a model to read (``no_data``)."""
    return not (profile["visits"] or profile["purchases"] or profile["clues"])
