-- Chat defects found by a client's test of ChatService (issue 15's session notes D1 and D3), and
-- the turn lease's rule in one place.
--
-- D1: a session title is stored sealed (encryption at rest, migration 12); the sealed text of a
-- title near the 255-character limit is longer than 255 characters, so CreateSession failed with
-- "value too long". The limit is the service's (chat.max_title_chars, TITLE_TOO_LONG); the column
-- holds whatever the sealed text needs.
ALTER TABLE chat_sessions ALTER COLUMN title TYPE text;

-- D3: a SendMessage request_id is its user's across sessions (AIP-155: the same id with another
-- request is REQUEST_ID_REUSED). chat_begin_turn looks the id up in the user's other sessions.
CREATE INDEX idx_chat_messages_request_id_any ON chat_messages(request_id) WHERE request_id IS NOT NULL;

-- The turn lease taken when it is free, expired, already `p_owner`'s, or held by one of
-- `p_orphans` (the process's own leases whose release failed: nothing runs under them any more).
-- True when taken; false when another holder has it or the session is not there. One rule for
-- the lease taken alone (stack_cfo/store/sql/chat.sql acquire_lease) and with a turn (below).
CREATE FUNCTION chat_take_lease(p_id uuid, p_owner uuid, p_ttl double precision, p_orphans uuid[])
    RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE chat_sessions s
    SET lease_owner = p_owner, lease_expires_at = now() + make_interval(secs => p_ttl)
    WHERE s.id = p_id
      AND (s.lease_owner IS NULL OR s.lease_expires_at < now() OR s.lease_owner = p_owner
           OR s.lease_owner = ANY(p_orphans));
    RETURN FOUND;
END
$$;

-- The first transaction of a turn. Rows, by `part`:
--   'session'   the session after the message was stored, with `day_tokens` (its owner's tokens
--               on `p_day`), `locale` (NULL without notification preferences), `lease_acquired`
--               (NULL when no lease was asked for); no rows at all when the session is not there
--               (or not visible in this scope);
--   'inserted'  the stored user message (none when the session is not active or `p_request_id`
--               was used in it already);
--   'reused'    `p_request_id` was used in another session of the same user (`session_id`): nothing
--               was inserted;
--   'summary'   the newest summary, if any;
--   'uncovered' the messages after the newest summary's range (all without one), in order.
CREATE OR REPLACE FUNCTION chat_begin_turn(p_id uuid, p_day date, p_message_id uuid, p_content text, p_request_id text,
                                p_created_at timestamptz, p_window integer, p_lease_owner uuid,
                                p_lease_ttl double precision, p_orphans uuid[])
    RETURNS TABLE (
        part text, id text, session_id text, user_id text, title text, context jsonb, created_at timestamptz,
        updated_at timestamptz, last_accessed_at timestamptz, message_count integer, tokens_used integer,
        status text, provider_address text, model text, auto_summarize boolean, summarize_interval integer,
        archive_address text, archive_time timestamptz, day_tokens bigint, locale text, lease_acquired boolean,
        seq integer, role text, content text, prompt_tokens integer, completion_tokens integer,
        fee_neuron numeric, provider text, verification text, degraded boolean, offline boolean,
        incomplete boolean, degraded_reason text, context_refreshed boolean, compressed boolean,
        request_id text, reply_to text, version integer, from_seq integer, to_seq integer,
        content_sha256 text, source_sha256 text, previous_id text
    )
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
    v_acquired boolean;
    v_user uuid;
    v_day_tokens bigint;
    v_locale text;
    v_session chat_sessions;
    v_elsewhere uuid;
BEGIN
    IF p_lease_owner IS NOT NULL THEN
        v_acquired := chat_take_lease(p_id, p_lease_owner, p_lease_ttl, p_orphans);
    END IF;
    SELECT s.user_id,
           COALESCE((SELECT u.tokens FROM chat_token_usage u WHERE u.user_id = s.user_id AND u.day = p_day), 0),
           (SELECT p.locale FROM notification_prefs p WHERE p.user_id = s.user_id)
    INTO v_user, v_day_tokens, v_locale
    FROM chat_sessions s
    WHERE s.id = p_id
    FOR UPDATE OF s;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_request_id IS NOT NULL THEN
        -- A request id is its user's, across their sessions: one used in another session inserts
        -- nothing and comes back as a 'reused' row. The lock (until commit) serialises two calls
        -- with one id on two sessions, which the session locks do not.
        PERFORM pg_advisory_xact_lock(hashtextextended('chat-request:' || p_request_id, 0));
        SELECT m.session_id INTO v_elsewhere
        FROM chat_messages m JOIN chat_sessions o ON o.id = m.session_id
        WHERE m.request_id = p_request_id AND m.session_id <> p_id AND o.user_id = v_user
        LIMIT 1;
    END IF;
    -- Only into an active session; a request_id already used in the session inserts nothing.
    RETURN QUERY
    INSERT INTO chat_messages AS m (id, session_id, seq, role, content, request_id, created_at)
    SELECT p_message_id, s.id,
           (SELECT COALESCE(max(c.seq), 0) + 1 FROM chat_messages c WHERE c.session_id = p_id),
           'user', p_content, p_request_id, p_created_at
    FROM chat_sessions s
    WHERE s.id = p_id AND s.status = 'active' AND v_elsewhere IS NULL
    ON CONFLICT (session_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
    RETURNING 'inserted'::text, m.id::text, m.session_id::text, NULL::text, NULL::text, NULL::jsonb, m.created_at,
              NULL::timestamptz, NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text,
              m.model, NULL::boolean, NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint, NULL::text,
              NULL::boolean, m.seq, m.role, m.content, m.prompt_tokens, m.completion_tokens, m.fee_neuron,
              m.provider, m.verification, m.degraded, m.offline, m.incomplete, m.degraded_reason,
              m.context_refreshed, m.compressed, m.request_id, m.reply_to::text, NULL::integer, NULL::integer,
              NULL::integer, NULL::text, NULL::text, NULL::text;
    SELECT * INTO v_session FROM chat_after_message(p_id, 0, p_created_at, p_window, false, NULL);
    IF v_elsewhere IS NOT NULL THEN
        RETURN QUERY
        SELECT 'reused'::text, NULL::text, v_elsewhere::text, NULL::text, NULL::text, NULL::jsonb,
               NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::integer, NULL::integer, NULL::text,
               NULL::text, NULL::text, NULL::boolean, NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint,
               NULL::text, NULL::boolean, NULL::integer, NULL::text, NULL::text, NULL::integer, NULL::integer,
               NULL::numeric, NULL::text, NULL::text, NULL::boolean, NULL::boolean, NULL::boolean, NULL::text,
               NULL::boolean, NULL::boolean, p_request_id, NULL::text, NULL::integer, NULL::integer,
               NULL::integer, NULL::text, NULL::text, NULL::text;
    END IF;
    RETURN QUERY
    SELECT 'session'::text, v_session.id::text, NULL::text, v_session.user_id::text, v_session.title::text, v_session.context,
           v_session.created_at, v_session.updated_at, v_session.last_accessed_at, v_session.message_count,
           v_session.tokens_used, v_session.status::text, v_session.provider_address::text,
           v_session.model::text, v_session.auto_summarize, v_session.summarize_interval,
           v_session.archive_address, v_session.archive_time, v_day_tokens, v_locale, v_acquired,
           NULL::integer, NULL::text, NULL::text, NULL::integer, NULL::integer, NULL::numeric, NULL::text,
           NULL::text, NULL::boolean, NULL::boolean, NULL::boolean, NULL::text, NULL::boolean, NULL::boolean,
           NULL::text, NULL::text, NULL::integer, NULL::integer, NULL::integer, NULL::text, NULL::text,
           NULL::text;
    RETURN QUERY
    SELECT 'summary'::text, x.id::text, x.session_id::text, NULL::text, NULL::text, NULL::jsonb, x.created_at, NULL::timestamptz,
           NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text, x.model, NULL::boolean,
           NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint, NULL::text, NULL::boolean,
           NULL::integer, NULL::text, x.content, x.prompt_tokens, x.completion_tokens, NULL::numeric,
           x.provider, NULL::text, NULL::boolean, x.offline, NULL::boolean, NULL::text, NULL::boolean,
           NULL::boolean, NULL::text, NULL::text, x.version, x.from_seq, x.to_seq, x.content_sha256,
           x.source_sha256, x.previous_id::text
    FROM chat_summaries x
    WHERE x.session_id = p_id
    ORDER BY x.version DESC
    LIMIT 1;
    -- The transcript for the prompt and the compression plan: no grounding record or receipt.
    RETURN QUERY
    SELECT 'uncovered'::text, m.id::text, m.session_id::text, NULL::text, NULL::text, NULL::jsonb, m.created_at,
           NULL::timestamptz, NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text,
           m.model, NULL::boolean, NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint, NULL::text,
           NULL::boolean, m.seq, m.role, m.content, m.prompt_tokens, m.completion_tokens, m.fee_neuron,
           m.provider, m.verification, m.degraded, m.offline, m.incomplete, m.degraded_reason,
           m.context_refreshed, m.compressed, m.request_id, m.reply_to::text, NULL::integer, NULL::integer,
           NULL::integer, NULL::text, NULL::text, NULL::text
    FROM chat_messages m
    WHERE m.session_id = p_id
      AND m.seq > COALESCE((SELECT max(y.to_seq) FROM chat_summaries y WHERE y.session_id = p_id), 0)
    ORDER BY m.seq;
END
$$;
