-- A user's daily token budget held by the turns in flight (issue: the budget was overshot about
-- 3x by concurrent turns, each checked against the tokens spent before any of them finished).
--
-- A turn admitted with chat.daily_token_budget set reserves its estimated tokens (the prompt
-- budget plus the completion cap) on its session row, in the transaction that checks the budget;
-- the check counts the user's spent tokens plus the live reservations of their other sessions, and
-- the admissions of one user are serialised (an advisory lock per user, until the commit), so
-- concurrent turns, on any replica, see each other's reservations. The answer, stored with its
-- usage, clears the reservation in the same transaction; a released lease clears it too
-- (chat.sql release_lease). A reservation counts only while the turn lease it was made under is
-- live (reserved_owner = lease_owner, not expired): a crashed process's reservations expire with
-- its leases, nothing leaks.
ALTER TABLE chat_sessions
    ADD COLUMN reserved_tokens integer NOT NULL DEFAULT 0 CHECK (reserved_tokens >= 0),
    ADD COLUMN reserved_owner  uuid;

-- The user's reservations, read by every admission with a budget: only sessions holding one.
CREATE INDEX idx_chat_sessions_reserved ON chat_sessions(user_id) WHERE reserved_tokens > 0;

-- The session after a stored message (migration 16's chat_after_message) and the turn's token
-- reservation: `p_reserve` tokens held by the turn under the session's current lease (0: none; the
-- answer stored with its usage clears it).
CREATE FUNCTION chat_after_message(p_id uuid, p_tokens integer, p_at timestamptz, p_window integer,
                                   p_release boolean, p_owner uuid, p_reserve integer)
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
    reserved_tokens = p_reserve,
    reserved_owner = CASE WHEN p_reserve > 0 THEN lease_owner END,
    lease_owner = CASE WHEN p_release AND lease_owner = p_owner THEN NULL ELSE lease_owner END,
    lease_expires_at = CASE WHEN p_release AND lease_owner = p_owner THEN NULL ELSE lease_expires_at END
WHERE id = p_id
RETURNING *;
END
$$;

-- Migration 16's chat_after_message, now also clearing the session's reservation: chat_complete_turn
-- (the answer stored, its usage booked in the same transaction) and the turns begun without one.
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
    reserved_tokens = 0,
    reserved_owner = NULL,
    lease_owner = CASE WHEN p_release AND lease_owner = p_owner THEN NULL ELSE lease_owner END,
    lease_expires_at = CASE WHEN p_release AND lease_owner = p_owner THEN NULL ELSE lease_expires_at END
WHERE id = p_id
RETURNING *;
END
$$;

-- Migration 17's chat_begin_turn with the reservation: `p_reserve` (0: no budget, nothing reserved
-- and no lock). Rows as migration 17's, with `day_reserved` on the 'session' row: the tokens the
-- user's other turns in flight hold (0 without `p_reserve`); `day_tokens` is then read after the
-- user's lock. Migration 17's function (without `p_reserve`) stays for replicas not yet upgraded.
CREATE FUNCTION chat_begin_turn(p_id uuid, p_day date, p_message_id uuid, p_content text, p_request_id text,
                                p_created_at timestamptz, p_window integer, p_lease_owner uuid,
                                p_lease_ttl double precision, p_orphans uuid[],
                                p_reserve integer)
    RETURNS TABLE (
        part text, id text, session_id text, user_id text, title text, context jsonb, created_at timestamptz,
        updated_at timestamptz, last_accessed_at timestamptz, message_count integer, tokens_used integer,
        status text, provider_address text, model text, auto_summarize boolean, summarize_interval integer,
        archive_address text, archive_time timestamptz, day_tokens bigint, locale text, lease_acquired boolean,
        seq integer, role text, content text, prompt_tokens integer, completion_tokens integer,
        fee_neuron numeric, provider text, verification text, degraded boolean, offline boolean,
        incomplete boolean, degraded_reason text, context_refreshed boolean, compressed boolean,
        request_id text, reply_to text, version integer, from_seq integer, to_seq integer,
        content_sha256 text, source_sha256 text, previous_id text, day_reserved bigint
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
    v_reserved bigint := 0;
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
              NULL::integer, NULL::text, NULL::text, NULL::text, NULL::bigint;
    IF p_reserve > 0 AND v_elsewhere IS NULL THEN
        -- The budget check's numbers and this turn's reservation, serialised per user (across
        -- sessions and replicas) until the commit: a concurrent turn of the user reads them after
        -- this transaction has committed (its reservation counted) or rolled back (refused). One
        -- statement reads both, so a turn completing meanwhile (its reservation replaced by its
        -- usage in one commit) is counted once. Reservations count while their turn's lease is
        -- live: a crashed process's expire with its leases. This session's own is the one made here.
        PERFORM pg_advisory_xact_lock(hashtextextended('chat-budget:' || v_user::text, 0));
        SELECT COALESCE((SELECT u.tokens FROM chat_token_usage u WHERE u.user_id = v_user AND u.day = p_day), 0),
               COALESCE((SELECT sum(o.reserved_tokens) FROM chat_sessions o
                         WHERE o.user_id = v_user AND o.reserved_tokens > 0 AND o.id <> p_id
                           AND o.reserved_owner = o.lease_owner AND o.lease_expires_at > now()), 0)
        INTO v_day_tokens, v_reserved;
    END IF;
    SELECT * INTO v_session FROM chat_after_message(p_id, 0, p_created_at, p_window, false, NULL, p_reserve);
    IF v_elsewhere IS NOT NULL THEN
        RETURN QUERY
        SELECT 'reused'::text, NULL::text, v_elsewhere::text, NULL::text, NULL::text, NULL::jsonb,
               NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::integer, NULL::integer, NULL::text,
               NULL::text, NULL::text, NULL::boolean, NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint,
               NULL::text, NULL::boolean, NULL::integer, NULL::text, NULL::text, NULL::integer, NULL::integer,
               NULL::numeric, NULL::text, NULL::text, NULL::boolean, NULL::boolean, NULL::boolean, NULL::text,
               NULL::boolean, NULL::boolean, p_request_id, NULL::text, NULL::integer, NULL::integer,
               NULL::integer, NULL::text, NULL::text, NULL::text, NULL::bigint;
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
           NULL::text, v_reserved;
    RETURN QUERY
    SELECT 'summary'::text, x.id::text, x.session_id::text, NULL::text, NULL::text, NULL::jsonb, x.created_at, NULL::timestamptz,
           NULL::timestamptz, NULL::integer, NULL::integer, NULL::text, NULL::text, x.model, NULL::boolean,
           NULL::integer, NULL::text, NULL::timestamptz, NULL::bigint, NULL::text, NULL::boolean,
           NULL::integer, NULL::text, x.content, x.prompt_tokens, x.completion_tokens, NULL::numeric,
           x.provider, NULL::text, NULL::boolean, x.offline, NULL::boolean, NULL::text, NULL::boolean,
           NULL::boolean, NULL::text, NULL::text, x.version, x.from_seq, x.to_seq, x.content_sha256,
           x.source_sha256, x.previous_id::text, NULL::bigint
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
           NULL::integer, NULL::text, NULL::text, NULL::text, NULL::bigint
    FROM chat_messages m
    WHERE m.session_id = p_id
      AND m.seq > COALESCE((SELECT max(y.to_seq) FROM chat_summaries y WHERE y.session_id = p_id), 0)
    ORDER BY m.seq;
END
$$;
