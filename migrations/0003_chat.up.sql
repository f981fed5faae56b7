-- Chat: the transcript (chat_messages), versioned summaries (chat_summaries), the per-user daily
-- token ledger, a turn lease on chat_sessions, and the PostgreSQL archive store (archive_objects).
--
-- The seed's chat_sessions table (0001) is kept; it gains the archive address, the turn lease and
-- a status check. Its `messages` JSONB column holds the recent window (the newest messages, at
-- most keep_recent_messages, oldest first) so a session row alone shows where the conversation
-- stands; the transcript of record is chat_messages, which is never rewritten.

ALTER TABLE chat_sessions
    ADD COLUMN archive_address   TEXT,
    ADD COLUMN archive_time      TIMESTAMPTZ,
    -- Concurrent SendMessage calls on one session are serialised by this lease, not by a
    -- transaction or a connection held across the AI call: a turn sets it, renews it while the
    -- answer streams, and clears it when done; a crashed holder's lease simply expires.
    ADD COLUMN lease_owner       UUID,
    ADD COLUMN lease_expires_at  TIMESTAMPTZ,
    ADD CONSTRAINT chat_sessions_status_check CHECK (status IN ('active', 'archived', 'deleted')),
    ADD CONSTRAINT chat_sessions_summarize_interval_check CHECK (summarize_interval >= 4),
    ADD CONSTRAINT chat_sessions_archived_has_address CHECK (status <> 'archived' OR archive_address IS NOT NULL);

-- Keyset pagination for ListSessions: newest access first, id as the tie-breaker.
CREATE INDEX idx_chat_sessions_user_access_id ON chat_sessions(user_id, last_accessed_at DESC, id DESC);

-- The transcript: one row per user or assistant message, in order (seq = 1, 2, ...).
CREATE TABLE chat_messages (
    id                 UUID PRIMARY KEY,
    session_id         UUID NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL CHECK (seq > 0),
    role               TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content            TEXT NOT NULL,
    -- Assistant messages: the provider's usage for the answer (0 for user messages and offline text).
    prompt_tokens      INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens  INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    -- Provider fee in neuron (1 0G = 1e18 neuron); NULL when the provider did not report it.
    fee_neuron         NUMERIC(40, 0),
    provider           TEXT NOT NULL DEFAULT '',
    model              TEXT NOT NULL DEFAULT '',
    verification       TEXT NOT NULL DEFAULT '',
    degraded           BOOLEAN NOT NULL DEFAULT false,
    offline            BOOLEAN NOT NULL DEFAULT false,
    incomplete         BOOLEAN NOT NULL DEFAULT false,
    context_refreshed  BOOLEAN NOT NULL DEFAULT false,
    compressed         BOOLEAN NOT NULL DEFAULT false,
    -- User messages: the SendMessage request_id (AIP-155), unique per session.
    request_id         TEXT,
    -- Assistant messages: the user message they answer.
    reply_to           UUID REFERENCES chat_messages(id) ON DELETE CASCADE,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (session_id, seq),
    CHECK (role = 'user' OR reply_to IS NOT NULL)
);
CREATE UNIQUE INDEX idx_chat_messages_request_id ON chat_messages(session_id, request_id)
    WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX idx_chat_messages_reply_to ON chat_messages(reply_to) WHERE reply_to IS NOT NULL;

-- Summaries of older turns, versioned; each covers messages from_seq..to_seq of its session. The
-- prompt uses the newest one; older versions stay for audit. content_sha256 hashes the summary
-- text, source_sha256 the covered messages (ids, roles and contents) plus the previous summary.
CREATE TABLE chat_summaries (
    id                 UUID PRIMARY KEY,
    session_id         UUID NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    version            INTEGER NOT NULL CHECK (version > 0),
    from_seq           INTEGER NOT NULL CHECK (from_seq > 0),
    to_seq             INTEGER NOT NULL,
    content            TEXT NOT NULL,
    content_sha256     TEXT NOT NULL,
    source_sha256      TEXT NOT NULL,
    previous_id        UUID REFERENCES chat_summaries(id) ON DELETE CASCADE,
    provider           TEXT NOT NULL DEFAULT '',
    model              TEXT NOT NULL DEFAULT '',
    offline            BOOLEAN NOT NULL DEFAULT false,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (session_id, version),
    CHECK (to_seq >= from_seq)
);

-- Tokens (prompt + completion, answers and summaries) each user spent per UTC day.
CREATE TABLE chat_token_usage (
    user_id  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day      DATE NOT NULL,
    tokens   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);

-- The PostgreSQL archive store: write-once blobs addressed by the SHA-256 of their bytes
-- ("pg:<sha256 hex>"). The owner is not a foreign key: erasing a user destroys their data key
-- (archives are sealed under it), and the rows may outlive the user row.
CREATE TABLE archive_objects (
    address     TEXT PRIMARY KEY,
    namespace   TEXT NOT NULL,
    key         TEXT NOT NULL,
    owner       UUID NOT NULL,
    content     BYTEA NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (address = 'pg:' || sha256)
);
CREATE INDEX idx_archive_objects_owner ON archive_objects(owner);
