-- 0005: realtime changes of agents and commands (Supabase Realtime).
--
-- Supabase streams changes of the tables in the `supabase_realtime` publication (RLS applies to
-- subscribers). Plain PostgreSQL has no such publication: then nothing is done.

DO $$
DECLARE
    t text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime') THEN
        FOREACH t IN ARRAY ARRAY['agents', 'commands'] LOOP
            IF NOT EXISTS (
                SELECT 1 FROM pg_publication_tables
                WHERE pubname = 'supabase_realtime' AND schemaname = 'public' AND tablename = t
            ) THEN
                EXECUTE format('ALTER PUBLICATION supabase_realtime ADD TABLE public.%I', t);
            END IF;
        END LOOP;
    END IF;
END
$$;
