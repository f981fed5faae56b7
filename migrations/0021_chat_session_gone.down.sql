-- Back to migration 20: no notification when a session goes; chat_complete_turn as migration 16
-- made it (an answer to a DELETED session is stored).
DROP TRIGGER IF EXISTS trg_chat_sessions_removed ON chat_sessions;
DROP TRIGGER IF EXISTS trg_chat_sessions_deleted ON chat_sessions;
DROP FUNCTION IF EXISTS chat_notify_session_gone();

CREATE OR REPLACE FUNCTION chat_complete_turn(p_id uuid, p_user uuid, p_day date, p_window integer,
                                              p_release boolean, p_owner uuid, p_tokens integer, p_message jsonb)
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
