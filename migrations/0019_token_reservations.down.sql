-- Back to migration 18: no reservations (chat_begin_turn without `p_reserve`, chat_after_message
-- as migration 16 made it).
DROP FUNCTION IF EXISTS chat_begin_turn(uuid, date, uuid, text, text, timestamptz, integer, uuid, double precision,
                                        uuid[], integer);
DROP FUNCTION IF EXISTS chat_after_message(uuid, integer, timestamptz, integer, boolean, uuid, integer);
-- The session after a stored message: counters, the recent window in the seed's `messages`
-- column (newest `p_window` messages, oldest first) and, with `p_release`, the turn lease released
-- when it is still `p_owner`'s. Returns the session's columns as the turn reads them.
CREATE OR REPLACE FUNCTION chat_after_message(p_id uuid, p_tokens integer, p_at timestamptz, p_window integer,
                                   p_release boolean, p_owner uuid)
    RETURNS SETOF chat_sessions
    LANGUAGE plpgsql  -- (plans kept for the connection; a SQL function's are made again on each call)
    AS $$
BEGIN
RETURN QUERY
UPDATE chat_sessions SET
    message_count = (SELECT COALESCE(max(seq), 0) FROM chat_messages WHERE session_id = p_id),
    tokens_used = tokens_used + p_tokens,
    updated_at = GREATEST(updated_at, p_at),
    last_accessed_at = GREATEST(last_accessed_at, p_at),
    messages = (
        SELECT COALESCE(jsonb_agg(jsonb_build_object(
                   'id', w.id, 'seq', w.seq, 'role', w.role, 'content', w.content,
                   'created_at', w.created_at, 'incomplete', w.incomplete) ORDER BY w.seq), '[]'::jsonb)
        FROM (SELECT id, seq, role, content, created_at, incomplete FROM chat_messages
              WHERE session_id = p_id ORDER BY seq DESC LIMIT p_window) AS w
    ),
    lease_owner = CASE WHEN p_release AND lease_owner = p_owner THEN NULL ELSE lease_owner END,
    lease_expires_at = CASE WHEN p_release AND lease_owner = p_owner THEN NULL ELSE lease_expires_at END
WHERE id = p_id
RETURNING *;
END
$$;

DROP INDEX IF EXISTS idx_chat_sessions_reserved;
ALTER TABLE chat_sessions DROP COLUMN IF EXISTS reserved_owner, DROP COLUMN IF EXISTS reserved_tokens;
