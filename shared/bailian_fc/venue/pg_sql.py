"""The SQL of the PostgreSQL adapter (:mod:`.postgres`): every statement reads an ``ai.*`` view
(RLS-bound to the transaction's site and business date), with ``%s`` parameters only."""

from __future__ import annotations

FINANCE_SQL = (
    "SELECT business_date, area, table_revenue, goods_revenue, recharge, consumption, discount,"
    " table_hours, orders, customers, loaded_at FROM ai.finance_area_daily"
    " WHERE site_id = %s AND business_date BETWEEN %s AND %s ORDER BY business_date, area"
)
AREAS_SQL = (
    "SELECT DISTINCT area FROM ai.finance_area_daily WHERE site_id = %s AND business_date ="
    " (SELECT max(business_date) FROM ai.finance_area_daily WHERE site_id = %s) ORDER BY area"
)
CLUE_SQL = (
    "SELECT clue_id, customer_id, business_date, category, content, source, status, assigned_staff_id"
    " FROM ai.clue WHERE site_id = %s AND clue_id = %s"
)
CUSTOMER_SQL = (
    "SELECT customer_id, name, gender, age_range, member_level, phone_tail, balance, registered_date"
    " FROM ai.customer WHERE site_id = %s AND customer_id = %s"
)
STAFF_SQL = "SELECT staff_id, name, role, since_date FROM ai.staff WHERE site_id = %s AND staff_id = %s"
VISITS_SQL = (
    "SELECT business_date, area, table_type, duration_hours, spend FROM ai.customer_visit"
    " WHERE site_id = %s AND customer_id = %s ORDER BY business_date DESC, visit_id DESC LIMIT %s"
)
PURCHASES_SQL = (
    "SELECT business_date, amount, category FROM ai.customer_purchase"
    " WHERE site_id = %s AND customer_id = %s ORDER BY business_date DESC, purchase_id DESC LIMIT %s"
)
FOLLOW_UPS_SQL = (
    "SELECT business_date, kind, channel, staff_id, content FROM ai.clue_followup"
    " WHERE site_id = %s AND clue_id = %s ORDER BY business_date DESC, followup_id DESC LIMIT %s"
)
CLUE_FIELDS = (
    "clue_id",
    "customer_id",
    "business_date",
    "category",
    "content",
    "source",
    "status",
    "assigned_staff_id",
)
CUSTOMER_FIELDS = (
    "customer_id",
    "name",
    "gender",
    "age_range",
    "member_level",
    "phone_tail",
    "balance",
    "registered_date",
)
# A profile: the customer's newest clues, each clue's newest follow-ups, their staff. The follow-up
# and staff statements name the clues by the same subquery, so no statement needs another's result
# and all six leave in one pipeline flight (one round trip instead of six).
NEWEST_CLUES = (
    "SELECT clue_id, customer_id, business_date, category, content, source, status, assigned_staff_id"
    " FROM ai.clue WHERE site_id = %(site)s AND customer_id = %(customer)s"
    ' ORDER BY business_date DESC, clue_id COLLATE "C" DESC LIMIT %(clues)s'
)
CUSTOMER_CLUES_SQL = NEWEST_CLUES
CLUES_FOLLOW_UPS_SQL = (
    "SELECT clue_id, business_date, kind, channel, staff_id, content FROM (SELECT *, row_number() OVER"
    " (PARTITION BY clue_id ORDER BY business_date DESC, followup_id DESC) AS newest"
    " FROM ai.clue_followup WHERE site_id = %(site)s AND clue_id IN"
    f" (SELECT clue_id FROM ({NEWEST_CLUES}) c)) f"
    " WHERE newest <= %(follow_ups)s ORDER BY business_date, followup_id"
)
STAFF_IN_SQL = (
    "SELECT staff_id, name, role, since_date FROM ai.staff WHERE site_id = %(site)s AND staff_id IN"
    f" (SELECT assigned_staff_id FROM ({NEWEST_CLUES}) c)"
    ' ORDER BY staff_id COLLATE "C"'
)

# The list pages: ids compared with COLLATE "C" (byte order, as the embedded dataset's keys sort) and
# the filters of venue/lists.py spelt in SQL (position() > 0 is a substring test with no LIKE escaping).
CLUE_LIST_SQL = (
    "SELECT c.clue_id, c.customer_id, cu.name, c.business_date, c.category, c.content, c.status,"
    " c.assigned_staff_id FROM ai.clue c JOIN ai.customer cu"
    " ON cu.site_id = c.site_id AND cu.customer_id = c.customer_id"
    ' WHERE c.site_id = %(site)s AND c.clue_id COLLATE "C" > %(after)s'
    " AND (%(status)s::text IS NULL OR c.status = %(status)s)"
    " AND (%(q)s::text IS NULL OR position(%(q)s IN c.content) > 0 OR position(%(q)s IN c.category) > 0"
    " OR position(%(q)s IN cu.name) > 0)"
    ' ORDER BY c.clue_id COLLATE "C" LIMIT %(limit)s'
)
CUSTOMER_LIST_SQL = (
    "SELECT customer_id, name, member_level, phone_tail, registered_date FROM ai.customer"
    ' WHERE site_id = %(site)s AND customer_id COLLATE "C" > %(after)s'
    " AND (%(q)s::text IS NULL OR position(%(q)s IN name) > 0"
    " OR right(coalesce(phone_tail, ''), length(%(q)s)) = %(q)s)"
    ' ORDER BY customer_id COLLATE "C" LIMIT %(limit)s'
)
CLUE_ITEM_FIELDS = (
    "clue_id",
    "customer_id",
    "customer_name",
    "business_date",
    "category",
    "content",
    "status",
    "assigned_staff_id",
)
CUSTOMER_ITEM_FIELDS = ("customer_id", "name", "member_level", "phone_tail", "registered_date")
