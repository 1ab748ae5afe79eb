-- 0007: sync between Onsembl Desktop apps ("devices") through this database.
--
-- Agents belong to the app they connect to: agents.device_id, and names unique per device, so
-- two apps may each have their own "claude".
--
-- Every change to a synced table is logged in onsembl_sync_log by trigger: one row per changed
-- row (op U: inserted or updated, D: deleted), and for terminal output, whose rows are only ever
-- inserted, one range per statement and command (op R: sequences lo..hi). Each entry carries the
-- transaction's id (xid8) and the device that made the change (the session setting
-- onsembl.device; NULL for anyone else, who is then heard by every device). A device reads the
-- entries of transactions older than every transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())): those are all finished, so reading in (xid, seq)
-- order with a cursor never skips a change that commits late. Each statement also sends a
-- NOTIFY on channel onsembl_sync (payload: the device) so other devices pull at once.
--
-- A deleted row's log entry is its tombstone: a later upsert of the same id is not applied
-- (onsembl_sync_deleted), so an edit made offline never brings back a row deleted elsewhere.
-- Old entries are pruned (by the device holding the maintenance lease); the newest pruned xid
-- is kept in onsembl_sync_meta (log_horizon) so a device that was away longer pulls everything.
--
-- The bookkeeping tables are the owner's: RLS on, nothing for the API roles. The trigger
-- functions are SECURITY DEFINER so changes made through the API are logged too.

ALTER TABLE agents ADD COLUMN device_id UUID;
ALTER TABLE agents DROP CONSTRAINT uq_agents_name;
ALTER TABLE agents ADD CONSTRAINT uq_agents_device_id_name UNIQUE (device_id, name);

CREATE TABLE onsembl_sync_log (
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    tbl TEXT NOT NULL,
    op CHAR(1) NOT NULL CHECK (op IN ('U', 'D', 'R')),
    row_id UUID,
    device UUID,
    command_id UUID,
    agent_id UUID,
    lo BIGINT,
    hi BIGINT,
    logged_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    CONSTRAINT pk_onsembl_sync_log PRIMARY KEY (xid, seq)
);
-- A row's history: its last writer (the conflict tie-break) and its tombstone.
CREATE INDEX ix_onsembl_sync_log_row ON onsembl_sync_log (tbl, row_id, xid, seq)
    WHERE row_id IS NOT NULL;
CREATE INDEX ix_onsembl_sync_log_logged_at ON onsembl_sync_log USING brin (logged_at);

CREATE TABLE onsembl_sync_meta (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
-- Tells devices apart from another database they synced with before (their cursors are void).
INSERT INTO onsembl_sync_meta (key, value) VALUES ('database_id', gen_random_uuid()::text);

CREATE TABLE onsembl_sync_devices (
    device_id UUID NOT NULL PRIMARY KEY,
    label TEXT NOT NULL,
    app_version TEXT NOT NULL,
    first_seen TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    last_seen TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);

-- Who runs the remote retention jobs: one device at a time, until expires_at.
CREATE TABLE onsembl_sync_lease (
    name TEXT NOT NULL PRIMARY KEY,
    holder UUID NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);

SELECT onsembl_private_table(t)
FROM unnest(ARRAY[
    'onsembl_sync_log', 'onsembl_sync_meta', 'onsembl_sync_devices', 'onsembl_sync_lease'
]) AS t;

CREATE FUNCTION onsembl_sync_device() RETURNS uuid
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT nullif(current_setting('onsembl.device', true), '')::uuid
$$;

CREATE FUNCTION onsembl_sync_log_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    dev uuid := onsembl_sync_device();
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO onsembl_sync_log (tbl, op, row_id, device)
            VALUES (TG_ARGV[0], 'D', OLD.id, dev);
    ELSIF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
        RETURN NULL;  -- an idempotent re-push: nothing for anyone to pull
    ELSE
        INSERT INTO onsembl_sync_log (tbl, op, row_id, device)
            VALUES (TG_ARGV[0], 'U', NEW.id, dev);
    END IF;
    PERFORM pg_notify('onsembl_sync', coalesce(dev::text, ''));
    RETURN NULL;
END
$$;

CREATE FUNCTION onsembl_sync_log_outputs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    dev uuid := onsembl_sync_device();
BEGIN
    INSERT INTO onsembl_sync_log (tbl, op, device, command_id, agent_id, lo, hi)
        SELECT 'terminal_outputs', 'R', dev, command_id, agent_id, min(sequence), max(sequence)
        FROM new_rows GROUP BY command_id, agent_id;
    IF FOUND THEN
        PERFORM pg_notify('onsembl_sync', coalesce(dev::text, ''));
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'users', 'agents', 'execution_constraints', 'command_presets', 'commands',
        'command_runs', 'trace_entries', 'investigation_reports'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER onsembl_sync AFTER INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION onsembl_sync_log_row(%L)', t, t);
    END LOOP;
END
$$;
-- Append-only: inserts only (retention drops old partitions, which is no one's change).
CREATE TRIGGER onsembl_sync AFTER INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION onsembl_sync_log_row('audit_logs');
CREATE TRIGGER onsembl_sync AFTER INSERT ON terminal_outputs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onsembl_sync_log_outputs();

-- The device whose change a row last received (NULL: not a device's).
CREATE FUNCTION onsembl_sync_last_device(t text, id uuid) RETURNS uuid
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT device FROM onsembl_sync_log l
    WHERE l.tbl = t AND l.row_id = id AND l.op <> 'R'
    ORDER BY l.xid DESC, l.seq DESC LIMIT 1
$$;

-- Whether the row was deleted (a tombstone in the log).
CREATE FUNCTION onsembl_sync_deleted(t text, id uuid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM onsembl_sync_log l WHERE l.tbl = t AND l.row_id = id AND l.op = 'D'
    )
$$;

DO $$
DECLARE
    r text;
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'onsembl_sync_device()', 'onsembl_sync_log_row()', 'onsembl_sync_log_outputs()',
        'onsembl_sync_last_device(text, uuid)', 'onsembl_sync_deleted(text, uuid)'
    ] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
                EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', f, r);
            END IF;
        END LOOP;
    END LOOP;
END
$$;
