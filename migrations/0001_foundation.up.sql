-- Foundation: users, the seed's chat_sessions table, and request-id idempotency.
-- Timestamps are timestamptz (UTC instants), a deliberate change from the seed's TIMESTAMP.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT,
    display_name  TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE chat_sessions (
    id                  UUID PRIMARY KEY,
    user_id             UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title               VARCHAR(255) NOT NULL,
    messages            JSONB NOT NULL DEFAULT '[]'::jsonb,
    context             JSONB NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_accessed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    message_count       INTEGER NOT NULL DEFAULT 0,
    tokens_used         INTEGER NOT NULL DEFAULT 0,
    status              VARCHAR(50) NOT NULL DEFAULT 'active',
    metadata            JSONB NOT NULL DEFAULT '{}'::jsonb,
    provider_address    VARCHAR(255) NOT NULL,
    model               VARCHAR(100) NOT NULL,
    auto_summarize      BOOLEAN NOT NULL DEFAULT true,
    summarize_interval  INTEGER NOT NULL DEFAULT 20
);

CREATE INDEX idx_chat_sessions_user_id ON chat_sessions(user_id);
CREATE INDEX idx_chat_sessions_status ON chat_sessions(status);
CREATE INDEX idx_chat_sessions_user_status ON chat_sessions(user_id, status);
CREATE INDEX idx_chat_sessions_last_accessed ON chat_sessions(last_accessed_at DESC);
CREATE INDEX idx_chat_sessions_user_last_accessed ON chat_sessions(user_id, last_accessed_at DESC);
CREATE INDEX idx_chat_sessions_messages_gin ON chat_sessions USING GIN (messages);
CREATE INDEX idx_chat_sessions_metadata_gin ON chat_sessions USING GIN (metadata);

-- AIP-155 request ids: a retried mutation returns the first response instead of acting twice.
CREATE TABLE idempotency_keys (
    method        TEXT NOT NULL,
    principal     TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    response      BYTEA,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (method, principal, request_id)
);
CREATE INDEX idx_idempotency_keys_created_at ON idempotency_keys(created_at);
