-- 0006: terminal_outputs.raw, and SQL NULL instead of JSON null in nullable JSONB columns.
--
-- raw: the AI CLI's own line(s) a row's content was rendered from (JSON events), kept for the
-- record; NULL for shell output. Not indexed (searching is over content).
-- Nullable JSONB columns stored Python None as the JSON value null until this release (the
-- arrays were NULL already); they now hold SQL NULL, as "no value" should read.

ALTER TABLE terminal_outputs ADD COLUMN raw TEXT;

UPDATE command_presets SET variables = NULL WHERE variables = 'null'::jsonb;
UPDATE trace_entries SET metadata = NULL WHERE metadata = 'null'::jsonb;
