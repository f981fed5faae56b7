-- ArchiveSession archives a session once and pays 0G Storage once (issue: an attempt that timed out
-- waiting for finality, or whose server was killed mid-upload, was retried with the same request_id
-- under a new content address - a new archive_time in the transcript, a new random nonce in the
-- sealed blob - so every retry submitted, and paid for, a new file on the Flow contract).
--
-- The sealed transcript is kept here BEFORE it is uploaded. A retry of a session whose content has
-- not changed since uploads these same bytes again (same root: the 0G client finds the earlier
-- submission and only finishes pushing its segments, paying nothing) and records the session
-- archived at the transcript's archive_time. A session that changed since (a new message, a new
-- summary, a refreshed context) gets a new transcript, which replaces the row. The row goes when the
-- archive is recorded (chat_sessions.archive_address), when the session is deleted (DeleteSession),
-- and with the session or the user (EraseUserData; the foreign keys cascade).
-- sealed: the transcript sealed under the user's data key (docs/security.md), never plaintext.
CREATE TABLE chat_archive_uploads (
    session_id  UUID PRIMARY KEY REFERENCES chat_sessions(id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sealed      BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_chat_archive_uploads_user_id ON chat_archive_uploads(user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON chat_archive_uploads TO stack_cfo_app, stack_cfo_system;

-- Row-level security as for every user table (migration 0011): the acting user's rows for the
-- service role, every row for the system role and for the owner in the system scope.
ALTER TABLE chat_archive_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_archive_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_user ON chat_archive_uploads TO stack_cfo_app
    USING (user_id = stack_cfo_acting_user()) WITH CHECK (user_id = stack_cfo_acting_user());
CREATE POLICY rls_system ON chat_archive_uploads TO stack_cfo_system USING (true) WITH CHECK (true);
DO $policy$
BEGIN
    EXECUTE format('CREATE POLICY rls_maintenance ON chat_archive_uploads TO %I '
                   'USING (stack_cfo_system_scope()) WITH CHECK (stack_cfo_system_scope())',
                   (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'chat_archive_uploads'::regclass));
END
$policy$;
