"""What the miniprogram's pickers list: a site's clues and customers, one bounded page at a time.

Both adapters return the same rows in the same order (the id, compared byte-wise), so a cursor
is just "the last id of the previous page", wrapped so clients treat it as opaque. Filters are
applied by the adapter; :func:`clue_matches` and :func:`customer_matches` are the one definition
of them the embedded adapter uses and the PostgreSQL queries mirror (a test compares the two).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..errors import invalid_field
from .models import Clue, Customer

MAX_LIMIT = 100
CURSOR_VERSION = "v1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ClueStatus = Literal["open", "following", "won", "lost"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClueItem(_Item):
    clue_id: str
    customer_id: str
    customer_name: str
    business_date: dt.date
    category: str
    content: str
    status: ClueStatus
    assigned_staff_id: str | None = None


class CustomerItem(_Item):
    customer_id: str
    name: str
    member_level: str | None = None
    phone_tail: str | None = None
    registered_date: dt.date


def clue_item(clue: Clue, customer: Customer) -> ClueItem:
    return ClueItem(
        clue_id=clue.clue_id,
        customer_id=clue.customer_id,
        customer_name=customer.name,
        business_date=clue.business_date,
        category=clue.category,
        content=clue.content,
        status=clue.status,
        assigned_staff_id=clue.assigned_staff_id,
    )


def customer_item(customer: Customer) -> CustomerItem:
    return CustomerItem(
        customer_id=customer.customer_id,
        name=customer.name,
        member_level=customer.member_level,
        phone_tail=customer.phone_tail,
        registered_date=customer.registered_date,
    )


def clue_matches(item: ClueItem, status: str | None, q: str | None) -> bool:
    """Status equal; ``q`` a substring of the content, the category or the customer's name."""
    if status is not None and item.status != status:
        return False
    return q is None or q in item.content or q in item.category or q in item.customer_name


def customer_matches(item: CustomerItem, q: str | None) -> bool:
    """``q`` a substring of the name, or the end of the phone number (staff ask for "尾号 1234")."""
    return q is None or q in item.name or (item.phone_tail or "").endswith(q)


def encode_cursor(last_id: str | None) -> str | None:
    if last_id is None:
        return None
    return base64.urlsafe_b64encode(f"{CURSOR_VERSION}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str:
    """The id after which the next page starts ("" for the first page); a 400 for anything we did not mint."""
    if not cursor:
        return ""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    version, _, last_id = text.partition(":")
    if version != CURSOR_VERSION or not _ID.fullmatch(last_id):
        raise invalid_field("cursor", "not a cursor this server returned", summary="the query is invalid")
    return last_id
