-- 0002: the data model's special indexes.
--
-- GIN on every JSONB field, for containment queries (details @> '{"job": "audit_logs"}').
-- (investigation_reports.attachments is JSONB[], an array of documents, not JSONB: no GIN.)
-- BRIN on every created_at: rows arrive in time order, so a few pages of summaries serve
-- time-range scans at almost no cost to inserts.

CREATE INDEX ix_agents_health_metrics_gin ON agents USING gin (health_metrics);
CREATE INDEX ix_agents_config_gin ON agents USING gin (config);
CREATE INDEX ix_commands_execution_constraints_gin ON commands USING gin (execution_constraints);
CREATE INDEX ix_command_presets_variables_gin ON command_presets USING gin (variables);
CREATE INDEX ix_trace_entries_content_gin ON trace_entries USING gin (content);
CREATE INDEX ix_trace_entries_metadata_gin ON trace_entries USING gin (metadata);
CREATE INDEX ix_investigation_reports_content_gin ON investigation_reports USING gin (content);
CREATE INDEX ix_audit_logs_details_gin ON audit_logs USING gin (details);

CREATE INDEX ix_users_created_at_brin ON users USING brin (created_at);
CREATE INDEX ix_agents_created_at_brin ON agents USING brin (created_at);
CREATE INDEX ix_execution_constraints_created_at_brin
    ON execution_constraints USING brin (created_at);
CREATE INDEX ix_command_presets_created_at_brin ON command_presets USING brin (created_at);
CREATE INDEX ix_commands_created_at_brin ON commands USING brin (created_at);
CREATE INDEX ix_command_runs_created_at_brin ON command_runs USING brin (created_at);
CREATE INDEX ix_terminal_outputs_created_at_brin ON terminal_outputs USING brin (created_at);
CREATE INDEX ix_trace_entries_created_at_brin ON trace_entries USING brin (created_at);
CREATE INDEX ix_investigation_reports_created_at_brin
    ON investigation_reports USING brin (created_at);
CREATE INDEX ix_audit_logs_created_at_brin ON audit_logs USING brin (created_at);
