-- The venue DWS tables the AI reads (the POS system's ETL fills them) and the read role.
-- Row-level security, the ai.* views and their grants come from 0002_ai_rls.sql, which
-- `bailian-fc db gen-rls` writes from the one list of AI-facing views (bailian_fc/db/views.py).

CREATE SCHEMA IF NOT EXISTS dws;
CREATE SCHEMA IF NOT EXISTS ai;

-- The functions' database login is granted this role; it never bypasses RLS.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bailian_ai_read') THEN
        CREATE ROLE bailian_ai_read NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA ai, dws TO bailian_ai_read;

-- One row per (site, business date, area): App2's money and volume columns.
CREATE TABLE IF NOT EXISTS dws.finance_area_daily (
    site_id        text          NOT NULL,
    business_date  date          NOT NULL,
    area           text          NOT NULL CHECK (area <> 'all' AND length(area) BETWEEN 1 AND 64),
    table_revenue  numeric(14,2) NOT NULL CHECK (table_revenue >= 0),
    goods_revenue  numeric(14,2) NOT NULL CHECK (goods_revenue >= 0),
    recharge       numeric(14,2) NOT NULL CHECK (recharge >= 0),
    consumption    numeric(14,2) NOT NULL CHECK (consumption >= 0),
    discount       numeric(14,2) NOT NULL CHECK (discount >= 0),
    table_hours    numeric(10,2) NOT NULL CHECK (table_hours >= 0),
    orders         integer       NOT NULL CHECK (orders >= 0),
    customers      integer       NOT NULL CHECK (customers >= 0),
    PRIMARY KEY (site_id, business_date, area)
);

CREATE TABLE IF NOT EXISTS dws.staff (
    site_id     text NOT NULL,
    staff_id    text NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL DEFAULT 'staff',
    since_date  date NOT NULL,
    PRIMARY KEY (site_id, staff_id)
);

CREATE TABLE IF NOT EXISTS dws.customer (
    site_id          text NOT NULL,
    customer_id      text NOT NULL,
    name             text NOT NULL,
    gender           text NOT NULL DEFAULT 'unknown' CHECK (gender IN ('male', 'female', 'unknown')),
    age_range        text,
    member_level     text,
    phone_tail       text CHECK (phone_tail ~ '^[0-9]{4}$'),
    balance          numeric(12,2),
    registered_date  date NOT NULL,
    PRIMARY KEY (site_id, customer_id)
);

CREATE TABLE IF NOT EXISTS dws.customer_visit (
    visit_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         text          NOT NULL,
    customer_id     text          NOT NULL,
    business_date   date          NOT NULL,
    area            text          NOT NULL,
    table_type      text          NOT NULL,
    duration_hours  numeric(6,2)  NOT NULL CHECK (duration_hours >= 0),
    spend           numeric(12,2) NOT NULL CHECK (spend >= 0),
    FOREIGN KEY (site_id, customer_id) REFERENCES dws.customer
);
CREATE INDEX IF NOT EXISTS customer_visit_by_customer ON dws.customer_visit (site_id, customer_id, business_date);

-- What a customer paid for (App7's consumption history; visits are the table part of it).
CREATE TABLE IF NOT EXISTS dws.customer_purchase (
    purchase_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id        text          NOT NULL,
    customer_id    text          NOT NULL,
    business_date  date          NOT NULL,
    amount         numeric(12,2) NOT NULL CHECK (amount >= 0),
    category       text          NOT NULL CHECK (category IN ('table', 'goods', 'recharge', 'coaching', 'other')),
    FOREIGN KEY (site_id, customer_id) REFERENCES dws.customer
);
CREATE INDEX IF NOT EXISTS customer_purchase_by_customer ON dws.customer_purchase (site_id, customer_id, business_date);

-- A lead/clue about a customer (App3 by clue_id; App8 reads every clue of a customer).
CREATE TABLE IF NOT EXISTS dws.clue (
    site_id            text NOT NULL,
    clue_id            text NOT NULL,
    customer_id        text NOT NULL,
    business_date      date NOT NULL,
    category           text NOT NULL,
    content            text NOT NULL,
    source             text NOT NULL DEFAULT 'staff_note',
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'following', 'won', 'lost')),
    assigned_staff_id  text,
    PRIMARY KEY (site_id, clue_id),
    FOREIGN KEY (site_id, customer_id) REFERENCES dws.customer,
    FOREIGN KEY (site_id, assigned_staff_id) REFERENCES dws.staff
);
CREATE INDEX IF NOT EXISTS clue_by_customer ON dws.clue (site_id, customer_id);

-- Follow-ups and notes on a clue, in business-date order.
CREATE TABLE IF NOT EXISTS dws.clue_followup (
    followup_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id        text NOT NULL,
    clue_id        text NOT NULL,
    business_date  date NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('follow_up', 'note')),
    channel        text NOT NULL DEFAULT 'in_store' CHECK (channel IN ('in_store', 'wechat', 'phone', 'other')),
    staff_id       text,
    content        text NOT NULL,
    FOREIGN KEY (site_id, clue_id) REFERENCES dws.clue
);
CREATE INDEX IF NOT EXISTS clue_followup_by_clue ON dws.clue_followup (site_id, clue_id, business_date);

-- Site discovery for the prewarm, which has no site of its own: site ids only, no figures.
-- SECURITY DEFINER so it sees past RLS; a skip scan over the primary key (one probe per site).
CREATE OR REPLACE FUNCTION ai.sites_with_data() RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE s(site_id) AS (
        (SELECT site_id FROM dws.finance_area_daily ORDER BY site_id LIMIT 1)
        UNION ALL
        SELECT (SELECT f.site_id FROM dws.finance_area_daily f WHERE f.site_id > s.site_id
                ORDER BY f.site_id LIMIT 1)
        FROM s WHERE s.site_id IS NOT NULL
    )
    SELECT site_id FROM s WHERE site_id IS NOT NULL
$$;
REVOKE ALL ON FUNCTION ai.sites_with_data() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ai.sites_with_data() TO bailian_ai_read;
