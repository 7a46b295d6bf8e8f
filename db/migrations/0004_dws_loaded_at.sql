-- When each finance row was loaded: an answer's `data_as_of` is the newest load time of the rows it
-- read. Maintained here, on every INSERT and UPDATE, so no ETL has to remember to set it (a value the
-- ETL writes is overwritten: the column says when the database took the row, not what a loader claims).
-- The ai.* views pick the column up in the next generated RLS migration (`bailian-fc db gen-rls`).

ALTER TABLE dws.finance_area_daily ADD COLUMN IF NOT EXISTS loaded_at timestamptz NOT NULL DEFAULT now();

CREATE OR REPLACE FUNCTION dws.stamp_loaded_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.loaded_at := now();
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS finance_area_daily_loaded_at ON dws.finance_area_daily;
CREATE TRIGGER finance_area_daily_loaded_at BEFORE INSERT OR UPDATE ON dws.finance_area_daily
    FOR EACH ROW EXECUTE FUNCTION dws.stamp_loaded_at();
