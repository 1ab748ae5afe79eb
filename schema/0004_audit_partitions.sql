-- 0004: monthly partitions of audit_logs, and the function that keeps them.
--
-- onsembl_audit_logs_maintain(at, retention, months_ahead) makes sure a partition exists for
-- every month from the one holding (at - retention) up to months_ahead after at's month, and
-- drops the partitions whose whole month is older than the retention (30 days). Months are UTC.
-- A DEFAULT partition catches rows outside those months (late or future rows) so an insert never
-- fails; when a month's partition is created, rows of that month move out of the default one.
-- It returns one line per partition created or dropped.
--
-- Schedule: where pg_cron is installed (Supabase: Database > Extensions) it runs daily; elsewhere
-- whoever owns the database runs `SELECT onsembl_audit_logs_maintain();` daily (the sync engine
-- does). Until it runs, new months' rows wait in the default partition: nothing is lost.

CREATE FUNCTION onsembl_private_table(name text) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    -- A partition is reached through its parent (whose policies apply); directly, by no one.
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', name);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        EXECUTE format('REVOKE ALL ON %I FROM anon', name);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        EXECUTE format('REVOKE ALL ON %I FROM authenticated', name);
    END IF;
END
$$;

CREATE FUNCTION onsembl_audit_logs_maintain(
    at timestamptz DEFAULT now(),
    retention interval DEFAULT interval '30 days',
    months_ahead integer DEFAULT 1
) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    first_month timestamp := date_trunc('month', (at - retention) AT TIME ZONE 'UTC');
    last_month timestamp := date_trunc('month', at AT TIME ZONE 'UTC')
        + make_interval(months => months_ahead);
    month timestamp;
    lo timestamptz;
    hi timestamptz;
    part text;
    old record;
BEGIN
    IF to_regclass('audit_logs_default') IS NULL THEN
        CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT;
        PERFORM onsembl_private_table('audit_logs_default');
        RETURN NEXT 'created audit_logs_default';
    END IF;

    month := first_month;
    WHILE month <= last_month LOOP
        part := 'audit_logs_' || to_char(month, 'YYYY_MM');
        lo := month AT TIME ZONE 'UTC';
        hi := (month + interval '1 month') AT TIME ZONE 'UTC';
        IF to_regclass(part) IS NULL THEN
            -- The default partition may not hold rows of the new range: move them over.
            CREATE TEMP TABLE onsembl_moved_audit_logs ON COMMIT DROP AS
                SELECT * FROM audit_logs_default WHERE created_at >= lo AND created_at < hi;
            DELETE FROM audit_logs_default WHERE created_at >= lo AND created_at < hi;
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF audit_logs FOR VALUES FROM (%L) TO (%L)',
                part, lo, hi);
            INSERT INTO audit_logs SELECT * FROM onsembl_moved_audit_logs;
            DROP TABLE onsembl_moved_audit_logs;
            PERFORM onsembl_private_table(part);
            RETURN NEXT 'created ' || part;
        END IF;
        month := month + interval '1 month';
    END LOOP;

    FOR old IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_logs'::regclass AND c.relname ~ '^audit_logs_\d{4}_\d{2}$'
        ORDER BY c.relname
    LOOP
        IF (to_date(substr(old.relname, 12), 'YYYY_MM') + interval '1 month')
                AT TIME ZONE 'UTC' <= at - retention THEN
            EXECUTE format('DROP TABLE %I', old.relname);
            RETURN NEXT 'dropped ' || old.relname;
        END IF;
    END LOOP;
    DELETE FROM audit_logs_default WHERE created_at < at - retention;
END
$$;

-- Housekeeping is the owner's business: not callable through the API by anon or authenticated.
REVOKE ALL ON FUNCTION onsembl_private_table(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION onsembl_audit_logs_maintain(timestamptz, interval, integer) FROM PUBLIC;
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('REVOKE ALL ON FUNCTION onsembl_private_table(text) FROM %I', r);
            EXECUTE format(
                'REVOKE ALL ON FUNCTION onsembl_audit_logs_maintain(timestamptz, interval, integer)'
                ' FROM %I', r);
        END IF;
    END LOOP;
END
$$;

SELECT onsembl_audit_logs_maintain();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule(
            'onsembl-audit-logs-maintain', '17 0 * * *',
            'SELECT public.onsembl_audit_logs_maintain()');
    END IF;
END
$$;
