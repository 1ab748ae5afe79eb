-- 0001: the data model's tables (seed-data-model.md) and their B-tree indexes, for PostgreSQL 15+.
--
-- This must create exactly what the SQLAlchemy models (onsembl_desktop/store/models.py) create:
-- same columns, types, nullability, defaults, constraint names and expressions
-- (tests/store/test_pg_schema.py compares the two in a real PostgreSQL).
-- Enum fields are VARCHAR with a named CHECK listing the values (no native ENUM types: adding a
-- value is then a constraint swap in one migration, not ALTER TYPE outside a transaction).
-- Every foreign key leads a B-tree index (its own, a composite, or a unique constraint's).

CREATE TABLE users (
    id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    email VARCHAR(320),
    is_local BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT uq_users_email UNIQUE (email)
);

CREATE TABLE agents (
    id UUID NOT NULL,
    name VARCHAR(64) NOT NULL,
    type VARCHAR(6) NOT NULL,
    status VARCHAR(10) NOT NULL,
    activity_state VARCHAR(10) NOT NULL,
    host_machine VARCHAR(255) NOT NULL,
    connected_at TIMESTAMP WITH TIME ZONE,
    disconnected_at TIMESTAMP WITH TIME ZONE,
    last_seen_at TIMESTAMP WITH TIME ZONE,
    health_metrics JSONB NOT NULL,
    config JSONB NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_agents PRIMARY KEY (id),
    CONSTRAINT uq_agents_name UNIQUE (name),
    CONSTRAINT ck_agents_agent_type CHECK (type IN ('CLAUDE', 'GEMINI', 'CODEX', 'SHELL')),
    CONSTRAINT ck_agents_agent_status
        CHECK (status IN ('ONLINE', 'OFFLINE', 'CONNECTING', 'ERROR')),
    CONSTRAINT ck_agents_activity_state
        CHECK (activity_state IN ('IDLE', 'PROCESSING', 'QUEUED'))
);
CREATE INDEX ix_agents_type_status ON agents (type, status);

CREATE TABLE execution_constraints (
    id UUID NOT NULL,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    time_limit_ms BIGINT,
    token_budget BIGINT,
    memory_limit_mb INTEGER,
    cpu_limit_percent INTEGER,
    is_default BOOLEAN DEFAULT false NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_execution_constraints PRIMARY KEY (id),
    CONSTRAINT uq_execution_constraints_name UNIQUE (name),
    CONSTRAINT ck_execution_constraints_time_limit_positive
        CHECK (time_limit_ms IS NULL OR time_limit_ms > 0),
    CONSTRAINT ck_execution_constraints_token_budget_positive
        CHECK (token_budget IS NULL OR token_budget > 0),
    CONSTRAINT ck_execution_constraints_memory_positive
        CHECK (memory_limit_mb IS NULL OR memory_limit_mb > 0),
    CONSTRAINT ck_execution_constraints_cpu_positive
        CHECK (cpu_limit_percent IS NULL OR cpu_limit_percent > 0)
);
-- Only one default profile.
CREATE UNIQUE INDEX uq_execution_constraints_single_default
    ON execution_constraints (is_default) WHERE is_default;

CREATE TABLE command_presets (
    id UUID NOT NULL,
    user_id UUID NOT NULL,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    content TEXT NOT NULL,
    type VARCHAR(11) NOT NULL,
    target_agent_types TEXT[],
    variables JSONB,
    usage_count INTEGER DEFAULT 0 NOT NULL,
    last_used_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_command_presets PRIMARY KEY (id),
    CONSTRAINT uq_command_presets_user_id_name UNIQUE (user_id, name),
    CONSTRAINT fk_command_presets_user_id_users FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT ck_command_presets_preset_type
        CHECK (type IN ('NATURAL', 'INVESTIGATE', 'REVIEW', 'PLAN', 'SYNTHESIZE')),
    CONSTRAINT ck_command_presets_usage_count_non_negative CHECK (usage_count >= 0),
    CONSTRAINT ck_command_presets_target_agent_types
        CHECK (target_agent_types <@ ARRAY['CLAUDE', 'GEMINI', 'CODEX', 'SHELL']::text[])
);
CREATE INDEX ix_command_presets_user_id ON command_presets (user_id);
CREATE INDEX ix_command_presets_usage_count ON command_presets (usage_count);

CREATE TABLE commands (
    id UUID NOT NULL,
    user_id UUID NOT NULL,
    content TEXT NOT NULL,
    type VARCHAR(11) NOT NULL,
    target_agents UUID[] NOT NULL,
    broadcast BOOLEAN DEFAULT false NOT NULL,
    status VARCHAR(9) NOT NULL,
    priority INTEGER NOT NULL,
    execution_constraints JSONB NOT NULL,
    preset_id UUID,
    constraint_id UUID,
    started_at TIMESTAMP WITH TIME ZONE,
    completed_at TIMESTAMP WITH TIME ZONE,
    error TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_commands PRIMARY KEY (id),
    CONSTRAINT fk_commands_user_id_users FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_commands_preset_id_command_presets
        FOREIGN KEY (preset_id) REFERENCES command_presets (id) ON DELETE SET NULL,
    CONSTRAINT fk_commands_constraint_id_execution_constraints
        FOREIGN KEY (constraint_id) REFERENCES execution_constraints (id) ON DELETE SET NULL,
    CONSTRAINT ck_commands_command_type
        CHECK (type IN ('NATURAL', 'INVESTIGATE', 'REVIEW', 'PLAN', 'SYNTHESIZE')),
    CONSTRAINT ck_commands_command_status CHECK (
        status IN ('PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'FAILED', 'CANCELLED')
    ),
    CONSTRAINT ck_commands_priority_range CHECK (priority BETWEEN 0 AND 100)
);
CREATE INDEX ix_commands_user_id ON commands (user_id);
CREATE INDEX ix_commands_preset_id ON commands (preset_id);
CREATE INDEX ix_commands_constraint_id ON commands (constraint_id);
CREATE INDEX ix_commands_status_created_at ON commands (status, created_at);

-- (addition) one command on one agent: per-target status, result and token usage.
CREATE TABLE command_runs (
    id UUID NOT NULL,
    command_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    status VARCHAR(9) NOT NULL,
    exit_code INTEGER,
    error TEXT,
    reason VARCHAR(40),
    session_id VARCHAR(200),
    input_tokens BIGINT DEFAULT 0 NOT NULL,
    output_tokens BIGINT DEFAULT 0 NOT NULL,
    cached_tokens BIGINT DEFAULT 0 NOT NULL,
    total_tokens BIGINT DEFAULT 0 NOT NULL,
    cost_usd DOUBLE PRECISION,
    started_at TIMESTAMP WITH TIME ZONE,
    completed_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_command_runs PRIMARY KEY (id),
    CONSTRAINT uq_command_runs_command_id_agent_id UNIQUE (command_id, agent_id),
    CONSTRAINT fk_command_runs_command_id_commands
        FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE,
    CONSTRAINT fk_command_runs_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id),
    CONSTRAINT ck_command_runs_run_status CHECK (
        status IN ('PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'FAILED', 'CANCELLED')
    ),
    CONSTRAINT ck_command_runs_tokens_non_negative CHECK (
        input_tokens >= 0 AND output_tokens >= 0 AND cached_tokens >= 0 AND total_tokens >= 0
    )
);
CREATE INDEX ix_command_runs_agent_id ON command_runs (agent_id);

CREATE TABLE terminal_outputs (
    id UUID NOT NULL,
    command_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    stream_type VARCHAR(6) NOT NULL,
    content TEXT NOT NULL,
    ansi_codes BOOLEAN NOT NULL,
    "timestamp" TIMESTAMP WITH TIME ZONE NOT NULL,
    sequence BIGINT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_terminal_outputs PRIMARY KEY (id),
    CONSTRAINT fk_terminal_outputs_command_id_commands
        FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE,
    CONSTRAINT fk_terminal_outputs_agent_id_agents
        FOREIGN KEY (agent_id) REFERENCES agents (id),
    CONSTRAINT ck_terminal_outputs_stream_type CHECK (stream_type IN ('STDOUT', 'STDERR')),
    CONSTRAINT ck_terminal_outputs_sequence_non_negative CHECK (sequence >= 0)
);
CREATE INDEX ix_terminal_outputs_agent_id ON terminal_outputs (agent_id);
CREATE INDEX ix_terminal_outputs_command_id_sequence ON terminal_outputs (command_id, sequence);
CREATE INDEX ix_terminal_outputs_timestamp ON terminal_outputs ("timestamp");

CREATE TABLE trace_entries (
    id UUID NOT NULL,
    command_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    parent_id UUID,
    type VARCHAR(10) NOT NULL,
    name VARCHAR(1024) NOT NULL,
    content JSONB NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE NOT NULL,
    completed_at TIMESTAMP WITH TIME ZONE,
    duration_ms BIGINT,
    tokens_used BIGINT,
    error TEXT,
    metadata JSONB,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_trace_entries PRIMARY KEY (id),
    -- The target of the composite key below: a parent must belong to the same command.
    CONSTRAINT uq_trace_entries_id_command_id UNIQUE (id, command_id),
    CONSTRAINT fk_trace_entries_command_id_commands
        FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE,
    CONSTRAINT fk_trace_entries_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id),
    CONSTRAINT fk_trace_entries_parent_id_trace_entries
        FOREIGN KEY (parent_id) REFERENCES trace_entries (id) ON DELETE CASCADE,
    CONSTRAINT fk_trace_entries_parent_same_command
        FOREIGN KEY (parent_id, command_id) REFERENCES trace_entries (id, command_id),
    CONSTRAINT ck_trace_entries_trace_type CHECK (type IN ('LLM_PROMPT', 'TOOL_CALL', 'RESPONSE')),
    CONSTRAINT ck_trace_entries_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id),
    CONSTRAINT ck_trace_entries_duration_non_negative
        CHECK (duration_ms IS NULL OR duration_ms >= 0),
    CONSTRAINT ck_trace_entries_tokens_non_negative CHECK (tokens_used IS NULL OR tokens_used >= 0)
);
CREATE INDEX ix_trace_entries_agent_id ON trace_entries (agent_id);
CREATE INDEX ix_trace_entries_parent_id ON trace_entries (parent_id);
CREATE INDEX ix_trace_entries_command_id_started_at ON trace_entries (command_id, started_at);

CREATE TABLE investigation_reports (
    id UUID NOT NULL,
    command_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    title VARCHAR(500) NOT NULL,
    summary TEXT NOT NULL,
    status VARCHAR(11) NOT NULL,
    content JSONB NOT NULL,
    attachments JSONB[],
    -- REAL[] rather than pgvector's VECTOR: the extension is optional; an array stays portable.
    vector_embedding REAL[],
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    completed_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_investigation_reports PRIMARY KEY (id),
    CONSTRAINT fk_investigation_reports_command_id_commands
        FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE,
    CONSTRAINT fk_investigation_reports_agent_id_agents
        FOREIGN KEY (agent_id) REFERENCES agents (id),
    CONSTRAINT ck_investigation_reports_report_status
        CHECK (status IN ('DRAFT', 'IN_PROGRESS', 'COMPLETE'))
);
CREATE INDEX ix_investigation_reports_command_id ON investigation_reports (command_id);
CREATE INDEX ix_investigation_reports_agent_id ON investigation_reports (agent_id);
CREATE INDEX ix_investigation_reports_status_created_at
    ON investigation_reports (status, created_at);

-- Partitioned by month of created_at (partitions: 0004); the key must be in the primary key.
-- Entity ids are plain columns (no foreign keys) so dropping old partitions never conflicts.
CREATE TABLE audit_logs (
    id UUID NOT NULL,
    event_type VARCHAR(21) NOT NULL,
    user_id UUID,
    agent_id UUID,
    command_id UUID,
    details JSONB NOT NULL,
    ip_address INET,
    user_agent VARCHAR(500),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_audit_logs PRIMARY KEY (id, created_at),
    CONSTRAINT ck_audit_logs_audit_event_type CHECK (event_type IN (
        'AGENT_CONNECT', 'AGENT_DISCONNECT', 'COMMAND_SENT', 'COMMAND_COMPLETED',
        'EMERGENCY_STOP', 'TOKEN_LIMIT_EXCEEDED', 'TIME_LIMIT_EXCEEDED', 'USER_LOGIN',
        'USER_LOGOUT', 'PRESET_CREATED', 'PRESET_USED', 'COMMAND_CANCELLED', 'COMMAND_FAILED',
        'AGENT_CONTROL', 'AGENT_ERROR', 'QUEUE_MOVED', 'QUEUE_RESUMED', 'PRESET_UPDATED',
        'PRESET_DELETED', 'CONSTRAINT_CHANGED', 'MEMORY_LIMIT_EXCEEDED', 'AUTH_FAILED',
        'TOKEN_CREATED', 'TOKEN_REVOKED', 'RETENTION_CLEANUP', 'SYNC_CONFLICT', 'SYSTEM_ERROR'
    ))
) PARTITION BY RANGE (created_at);
CREATE INDEX ix_audit_logs_event_type_created_at ON audit_logs (event_type, created_at);
CREATE INDEX ix_audit_logs_user_id ON audit_logs (user_id);
CREATE INDEX ix_audit_logs_agent_id ON audit_logs (agent_id);
CREATE INDEX ix_audit_logs_command_id ON audit_logs (command_id);

CREATE TABLE command_queue (
    id UUID NOT NULL,
    command_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    "position" INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    status VARCHAR(11) NOT NULL,
    enqueued_at TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE,
    interrupt_requested BOOLEAN DEFAULT false NOT NULL,
    interrupt_reason TEXT,
    CONSTRAINT pk_command_queue PRIMARY KEY (id),
    CONSTRAINT uq_command_queue_command_id_agent_id UNIQUE (command_id, agent_id),
    CONSTRAINT fk_command_queue_command_id_commands
        FOREIGN KEY (command_id) REFERENCES commands (id) ON DELETE CASCADE,
    CONSTRAINT fk_command_queue_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id),
    CONSTRAINT ck_command_queue_queue_status
        CHECK (status IN ('WAITING', 'PROCESSING', 'INTERRUPTED')),
    CONSTRAINT ck_command_queue_position_positive CHECK ("position" >= 1),
    CONSTRAINT ck_command_queue_priority_range CHECK (priority BETWEEN 0 AND 100)
);
CREATE INDEX ix_command_queue_command_id ON command_queue (command_id);
CREATE INDEX ix_command_queue_agent_id_status_priority
    ON command_queue (agent_id, status, priority);
-- (agent, position) is unique among an agent's WAITING entries.
CREATE UNIQUE INDEX uq_command_queue_waiting_position
    ON command_queue (agent_id, "position") WHERE status = 'WAITING';

-- (addition) delivery cursor: the highest stream seq stored per agent process.
CREATE TABLE agent_streams (
    agent_id UUID NOT NULL,
    instance_id UUID NOT NULL,
    acked_seq BIGINT NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_agent_streams PRIMARY KEY (agent_id, instance_id),
    CONSTRAINT fk_agent_streams_agent_id_agents
        FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
);
