-- 0003: row-level security for the single-tenant model.
--
-- Supabase exposes tables of the public schema through its API to two roles: `authenticated`
-- (a signed-in user) and `anon` (anyone holding the project's public key). Every table gets RLS,
-- one policy letting any authenticated user read and write every row (one tenant: the engineer
-- and their machines), and none for anon, whose table privileges are also revoked: anonymous
-- users get nothing. The owner role that runs `onsembl db upgrade` and the sync engine is not
-- subject to RLS (table owners bypass it; Supabase's service_role has BYPASSRLS).
--
-- On plain PostgreSQL without those roles (they come with Supabase; policies here name roles,
-- not the `auth` schema, so nothing else is needed) the policies and grants are skipped and RLS
-- alone leaves the tables to their owner. Audit-log partitions get the same treatment as they
-- are created (0004).

DO $$
DECLARE
    t text;
    has_authenticated boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated');
    has_anon boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon');
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'users', 'agents', 'execution_constraints', 'command_presets', 'commands',
        'command_runs', 'terminal_outputs', 'trace_entries', 'investigation_reports',
        'audit_logs', 'command_queue', 'agent_streams'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        IF has_authenticated THEN
            EXECUTE format(
                'CREATE POLICY onsembl_authenticated_all ON %I FOR ALL TO authenticated '
                'USING (true) WITH CHECK (true)', t);
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO authenticated', t);
        END IF;
        IF has_anon THEN
            EXECUTE format('REVOKE ALL ON %I FROM anon', t);
        END IF;
    END LOOP;
END
$$;
