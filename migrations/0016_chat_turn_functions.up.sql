-- A chat turn's two transactions as one statement each (issue 15, chat turn CPU): the statements
-- begin_turn and complete_turn pipelined (six and four of them, each parsed, bound, fetched and
-- converted by the driver) run inside these functions, so the service sends one call per
-- transaction. SECURITY INVOKER (the default): row-level security applies to every statement as
-- it did before. Same statements, same order, same results; the checks that decide whether the
-- first transaction commits stay in the service (it reads the returned rows and rolls back).

-- The session after a stored message: counters, the recent window in the seed's `messages`
-- column (newest `p_window` messages, oldest first) and, with `p_release`, the turn lease released
-- when it is still `p_owner`'s. Returns the session's columns as the turn reads them.
CREATE FUNCTION chat_after_message(p_id uuid, p_tokens integer, p_at timestamptz, p_window integer,
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

-- The first transaction of a turn. Rows, by `part`:
--   'session'   the session after the message was stored, with `day_tokens` (its owner's tokens
--               on `p_day`), `locale` (NULL without notification preferences), `lease_acquired`
--               (NULL when no lease was asked for); no rows at all when the session is not there
--               (or not visible in this scope);
--   'inserted'  the stored user message (none when the session is not active or `p_request_id`
--               was used in it already);
--   'summary'   the newest summary, if any;
--   'uncovered' the messages after the newest summary's range (all without one), in order.
CREATE FUNCTION chat_begin_turn(p_id uuid, p_day date, p_message_id uuid, p_content text, p_request_id text,
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

-- The second transaction of a turn: the answer (`p_message`, a chat_messages row as JSON; its
-- `seq` and `session_id` are set here) stored with the next `seq`, the session's counters and window
-- updated (the lease released with `p_release` when still `p_owner`'s) and `p_tokens` counted for
-- `p_user` on `p_day`. Returns the stored message; raises no_data_found (P0002) when the session is
-- not there.
CREATE FUNCTION chat_complete_turn(p_id uuid, p_user uuid, p_day date, p_window integer, p_release boolean,
                                   p_owner uuid, p_tokens integer, p_message jsonb)
    RETURNS SETOF chat_messages
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
    m chat_messages := jsonb_populate_record(NULL::chat_messages, p_message);
    v_message chat_messages;
BEGIN
    PERFORM 1 FROM chat_sessions s WHERE s.id = p_id FOR UPDATE;
    IF NOT FOUND THEN  -- the whole transaction fails: the receipt sent with the answer is not kept
        RAISE EXCEPTION 'session % not found', p_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO chat_messages (
        id, session_id, seq, role, content, prompt_tokens, completion_tokens, fee_neuron, provider, model,
        verification, degraded, offline, incomplete, degraded_reason, context_refreshed, compressed, request_id,
        reply_to, created_at, grounding, receipt_id
    ) VALUES (
        m.id, p_id,
        (SELECT COALESCE(max(c.seq), 0) + 1 FROM chat_messages c WHERE c.session_id = p_id),
        m.role, m.content, m.prompt_tokens, m.completion_tokens, m.fee_neuron, m.provider, m.model,
        m.verification, m.degraded, m.offline, m.incomplete, m.degraded_reason, m.context_refreshed, m.compressed,
        m.request_id, m.reply_to, m.created_at, m.grounding, m.receipt_id
    )
    RETURNING * INTO v_message;
    PERFORM 1 FROM chat_after_message(p_id, p_tokens, m.created_at, p_window, p_release, p_owner);
    IF p_tokens <> 0 THEN
        INSERT INTO chat_token_usage AS u (user_id, day, tokens) VALUES (p_user, p_day, p_tokens)
        ON CONFLICT (user_id, day) DO UPDATE SET tokens = u.tokens + EXCLUDED.tokens;
    END IF;
    RETURN NEXT v_message;
END
$$;

-- A receipt written with the answer it covers (`p_receipt`, an ai_receipts row as JSON: one parameter
-- where the statement took 26), and with `snapshot_shared` its data snapshot (`p_shared_snapshot`)
-- kept once per user and hash (a stored one is only marked used, under its row lock). A receipt id
-- already stored is left as it is. The same statements as stack_cfo/store/receipts.py's inserts.
CREATE FUNCTION ai_receipt_insert(p_receipt jsonb, p_shared_snapshot text)
    RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    r ai_receipts := jsonb_populate_record(NULL::ai_receipts, p_receipt);
BEGIN
    IF r.snapshot_shared THEN
        INSERT INTO ai_receipt_snapshots AS x (user_id, data_sha256, data_snapshot)
        VALUES (r.user_id, r.data_sha256, p_shared_snapshot)
        ON CONFLICT (user_id, data_sha256) DO UPDATE SET last_used_at = now();
    END IF;
    INSERT INTO ai_receipts (
        id, user_id, surface, subject, provider, model, response_id, verification, tee_signer, signature,
        signed_text, router_tee_verified, prompt_sha256, data_sha256, data_snapshot, data_as_of, text, text_sha256,
        grounding, extra_facts, prompt_tokens, completion_tokens, fee_neuron, degraded_reason, created_at,
        snapshot_shared
    ) VALUES (
        r.id, r.user_id, r.surface, r.subject, r.provider, r.model, r.response_id, r.verification, r.tee_signer,
        r.signature, r.signed_text, r.router_tee_verified, r.prompt_sha256, r.data_sha256, r.data_snapshot,
        r.data_as_of, r.text, r.text_sha256, r.grounding, r.extra_facts, r.prompt_tokens, r.completion_tokens,
        r.fee_neuron, r.degraded_reason, r.created_at, r.snapshot_shared
    )
    ON CONFLICT (id) DO NOTHING;
END
$$;
