DROP TABLE IF EXISTS archive_objects;
DROP TABLE IF EXISTS chat_token_usage;
DROP TABLE IF EXISTS chat_summaries;
DROP TABLE IF EXISTS chat_messages;
DROP INDEX IF EXISTS idx_chat_sessions_user_access_id;
ALTER TABLE chat_sessions
    DROP CONSTRAINT IF EXISTS chat_sessions_archived_has_address,
    DROP CONSTRAINT IF EXISTS chat_sessions_summarize_interval_check,
    DROP CONSTRAINT IF EXISTS chat_sessions_status_check,
    DROP COLUMN IF EXISTS lease_expires_at,
    DROP COLUMN IF EXISTS lease_owner,
    DROP COLUMN IF EXISTS archive_time,
    DROP COLUMN IF EXISTS archive_address;
