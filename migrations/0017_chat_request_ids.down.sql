-- Back to migration 16: chat_begin_turn without the per-user request id check, its own lease
-- UPDATE, and the title column as it was (fails while a stored title is longer than 255 characters:
-- nothing is cut).
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
BEGIN
    IF p_lease_owner IS NOT NULL THEN
        -- Free, expired, already ours, or held by one of `p_orphans` (this process's leases whose
        -- release failed: nothing runs under them any more).
        UPDATE chat_sessions s
        SET lease_owner = p_lease_owner, lease_expires_at = now() + make_interval(secs => p_lease_ttl)
        WHERE s.id = p_id
          AND (s.lease_owner IS NULL OR s.lease_expires_at < now() OR s.lease_owner = p_lease_owner
               OR s.lease_owner = ANY(p_orphans));
        v_acquired := FOUND;
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
    -- Only into an active session; a request_id already used in the session inserts nothing.
    RETURN QUERY
    INSERT INTO chat_messages AS m (id, session_id, seq, role, content, request_id, created_at)
    SELECT p_message_id, s.id,
           (SELECT COALESCE(max(c.seq), 0) + 1 FROM chat_messages c WHERE c.session_id = p_id),
           'user', p_content, p_request_id, p_created_at
    FROM chat_sessions s
    WHERE s.id = p_id AND s.status = 'active'
    ON CONFLICT (session_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
    RETURNING 'inserted'::text, m.id::text, m.session_id::text, NULL::text, NULL::text, NULL::jsonb, m.created_at,
              NULL::timestamptz, NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text,
              m.model, NULL::boolean, NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint, NULL::text,
              NULL::boolean, m.seq, m.role, m.content, m.prompt_tokens, m.completion_tokens, m.fee_neuron,
              m.provider, m.verification, m.degraded, m.offline, m.incomplete, m.degraded_reason,
              m.context_refreshed, m.compressed, m.request_id, m.reply_to::text, NULL::integer, NULL::integer,
              NULL::integer, NULL::text, NULL::text, NULL::text;
    SELECT * INTO v_session FROM chat_after_message(p_id, 0, p_created_at, p_window, false, NULL);
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

DROP FUNCTION IF EXISTS chat_take_lease(uuid, uuid, double precision, uuid[]);
DROP INDEX IF EXISTS idx_chat_messages_request_id_any;
ALTER TABLE chat_sessions ALTER COLUMN title TYPE varchar(255);
