-- 0008: approvals (protocol 2) — the ACP agent type and the approval audit events.
--
-- agents.type and command_presets.target_agent_types take 'ACP' (any agent speaking the Agent
-- Client Protocol); audit_logs.event_type takes APPROVAL_REQUESTED / GRANTED / DENIED and
-- APPROVAL_RULE_ADDED / REMOVED. A CHECK constraint cannot be altered: each is dropped and added
-- again with the new list (on the partitioned audit_logs this reaches every partition).

ALTER TABLE agents DROP CONSTRAINT ck_agents_agent_type;
ALTER TABLE agents ADD CONSTRAINT ck_agents_agent_type
    CHECK (type IN ('CLAUDE', 'GEMINI', 'CODEX', 'SHELL', 'ACP'));

ALTER TABLE command_presets DROP CONSTRAINT ck_command_presets_target_agent_types;
ALTER TABLE command_presets ADD CONSTRAINT ck_command_presets_target_agent_types
    CHECK (target_agent_types <@ ARRAY['CLAUDE', 'GEMINI', 'CODEX', 'SHELL', 'ACP']::text[]);

ALTER TABLE audit_logs DROP CONSTRAINT ck_audit_logs_audit_event_type;
ALTER TABLE audit_logs ADD CONSTRAINT ck_audit_logs_audit_event_type CHECK (event_type IN (
    'AGENT_CONNECT', 'AGENT_DISCONNECT', 'COMMAND_SENT', 'COMMAND_COMPLETED',
    'EMERGENCY_STOP', 'TOKEN_LIMIT_EXCEEDED', 'TIME_LIMIT_EXCEEDED', 'USER_LOGIN',
    'USER_LOGOUT', 'PRESET_CREATED', 'PRESET_USED', 'COMMAND_CANCELLED', 'COMMAND_FAILED',
    'AGENT_CONTROL', 'AGENT_ERROR', 'QUEUE_MOVED', 'QUEUE_RESUMED', 'PRESET_UPDATED',
    'PRESET_DELETED', 'CONSTRAINT_CHANGED', 'MEMORY_LIMIT_EXCEEDED', 'AUTH_FAILED',
    'TOKEN_CREATED', 'TOKEN_REVOKED', 'RETENTION_CLEANUP', 'SYNC_CONFLICT', 'SYSTEM_ERROR',
    'APPROVAL_REQUESTED', 'APPROVAL_GRANTED', 'APPROVAL_DENIED', 'APPROVAL_RULE_ADDED',
    'APPROVAL_RULE_REMOVED'
));
