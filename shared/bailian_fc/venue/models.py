"""What App3 reads about one clue: the clue, its customer, their visits and spending, follow-ups
and notes, and the staff member it is assigned to. Both adapters return this shape."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_VISITS = 50  # the most recent ones; a regular has hundreds
MAX_PURCHASES = 100
MAX_FOLLOW_UPS = 100  # per clue
MAX_CLUES = 50  # a customer's most recent clues in a profile
CLUE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class _Model(BaseModel):
    # defer_build: only App3 (and demo-data) need these schemas; a cold start of App2 does not.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Staff(_Model):
    staff_id: str
    name: str
    role: str = "staff"
    since_date: dt.date


class Customer(_Model):
    customer_id: str
    name: str
    gender: Literal["male", "female", "unknown"] = "unknown"
    age_range: str | None = None
    member_level: str | None = None
    phone_tail: str | None = None
    balance: float | None = None
    registered_date: dt.date


class Visit(_Model):
    business_date: dt.date
    area: str
    table_type: str
    duration_hours: float
    spend: float


class Purchase(_Model):
    business_date: dt.date
    amount: float
    category: Literal["table", "goods", "recharge", "coaching", "other"]


class FollowUp(_Model):
    business_date: dt.date
    kind: Literal["follow_up", "note"]
    channel: Literal["in_store", "wechat", "phone", "other"] = "in_store"
    staff_id: str | None = None
    content: str


class Clue(_Model):
    clue_id: str = Field(pattern=CLUE_ID_PATTERN)
    customer_id: str
    business_date: dt.date
    category: str
    content: str
    source: str = "staff_note"
    status: Literal["open", "following", "won", "lost"] = "open"
    assigned_staff_id: str | None = None


class ClueDetail(_Model):
    """Everything App3's prompt is built from; lists oldest first, bounded in length."""

    site_id: str
    clue: Clue
    customer: Customer
    assigned_staff: Staff | None = None
    visits: list[Visit] = Field(default_factory=list)
    purchases: list[Purchase] = Field(default_factory=list)
    follow_ups: list[FollowUp] = Field(default_factory=list)

    def bounded(self, upper_bound: dt.date) -> ClueDetail | None:
        """This detail as it stood on ``upper_bound`` (None when the clue or customer came later)."""
        if self.clue.business_date > upper_bound or self.customer.registered_date > upper_bound:
            return None
        staff = self.assigned_staff
        return self.model_copy(
            update={
                "assigned_staff": staff if staff is not None and staff.since_date <= upper_bound else None,
                "visits": [v for v in self.visits if v.business_date <= upper_bound][-MAX_VISITS:],
                "purchases": [p for p in self.purchases if p.business_date <= upper_bound][-MAX_PURCHASES:],
                "follow_ups": [f for f in self.follow_ups if f.business_date <= upper_bound][
                    -MAX_FOLLOW_UPS:
                ],
            }
        )


class CustomerDetail(_Model):
    """A customer with their visits and purchases (the embedded dataset's ``customers/…`` document);
    ``clue_ids`` names the customer's clue documents, so a profile reads them without a scan."""

    site_id: str
    customer: Customer
    visits: list[Visit] = Field(default_factory=list)
    purchases: list[Purchase] = Field(default_factory=list)
    clue_ids: list[str] = Field(default_factory=list)

    def bounded(self, upper_bound: dt.date) -> CustomerDetail | None:
        if self.customer.registered_date > upper_bound:
            return None
        return self.model_copy(
            update={
                "visits": [v for v in self.visits if v.business_date <= upper_bound][-MAX_VISITS:],
                "purchases": [p for p in self.purchases if p.business_date <= upper_bound][-MAX_PURCHASES:],
            }
        )


class ClueRecord(_Model):
    clue: Clue
    follow_ups: list[FollowUp] = Field(default_factory=list)


class CustomerProfile(_Model):
    """What App4, App5, App7 and App8 read about one customer; both adapters return this shape.

    Lists oldest first and bounded: the last MAX_VISITS visits, MAX_PURCHASES purchases, MAX_CLUES
    clues by (business date, id), each with its last MAX_FOLLOW_UPS follow-ups; ``staff`` is the
    assigned staff of those clues, by id.
    """

    site_id: str
    customer: Customer
    visits: list[Visit] = Field(default_factory=list)
    purchases: list[Purchase] = Field(default_factory=list)
    clues: list[ClueRecord] = Field(default_factory=list)
    staff: list[Staff] = Field(default_factory=list)
