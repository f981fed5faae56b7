-- Chat sessions, the transcript, summaries, the token ledger and the turn lease.
-- Loaded by name through stack_cfo.store.queries.load_queries("chat").

-- name: insert_session
INSERT INTO chat_sessions (
    id, user_id, title, messages, context, created_at, updated_at, last_accessed_at,
    status, provider_address, model, auto_summarize, summarize_interval
) VALUES (
    %(id)s, %(user_id)s, %(title)s, '[]'::jsonb, %(context)s, %(at)s, %(at)s, %(at)s,
    'active', %(provider)s, %(model)s, %(auto_summarize)s, %(summarize_interval)s
)

-- name: get_session
SELECT id, user_id, title, context, created_at, updated_at, last_accessed_at, message_count, tokens_used,
       status, provider_address, model, auto_summarize, summarize_interval, archive_address, archive_time
FROM chat_sessions
WHERE id = %(id)s

-- name: touch_session
UPDATE chat_sessions SET last_accessed_at = GREATEST(last_accessed_at, %(at)s)
WHERE id = %(id)s
RETURNING id, user_id, title, context, created_at, updated_at, last_accessed_at, message_count, tokens_used,
          status, provider_address, model, auto_summarize, summarize_interval, archive_address, archive_time

-- name: list_sessions
SELECT id, user_id, title, context, created_at, updated_at, last_accessed_at, message_count, tokens_used,
       status, provider_address, model, auto_summarize, summarize_interval, archive_address, archive_time
FROM chat_sessions
WHERE user_id = %(user_id)s
  AND status = ANY(%(statuses)s)
  AND (%(after_time)s::timestamptz IS NULL OR (last_accessed_at, id) < (%(after_time)s::timestamptz, %(after_id)s::uuid))
ORDER BY last_accessed_at DESC, id DESC
LIMIT %(limit)s

-- name: delete_session
UPDATE chat_sessions SET status = 'deleted', updated_at = %(at)s
WHERE id = %(id)s AND status <> 'deleted'
RETURNING id

-- name: update_context
UPDATE chat_sessions SET context = %(context)s, updated_at = %(at)s
WHERE id = %(id)s AND status = 'active'
RETURNING id, user_id, title, context, created_at, updated_at, last_accessed_at, message_count, tokens_used,
          status, provider_address, model, auto_summarize, summarize_interval, archive_address, archive_time

-- name: archive_session
UPDATE chat_sessions SET status = 'archived', archive_address = %(address)s, archive_time = %(at)s, updated_at = %(at)s
WHERE id = %(id)s AND status = 'active'
RETURNING id, user_id, title, context, created_at, updated_at, last_accessed_at, message_count, tokens_used,
          status, provider_address, model, auto_summarize, summarize_interval, archive_address, archive_time

-- name: lock_session
-- The session locked for storing an answer (only whether it exists is read).
SELECT id FROM chat_sessions WHERE id = %(id)s FOR UPDATE

-- name: insert_user_message
-- Only into an active session; a request_id already used in the session inserts nothing.
INSERT INTO chat_messages (id, session_id, seq, role, content, request_id, created_at)
SELECT %(id)s, s.id,
       (SELECT COALESCE(max(seq), 0) + 1 FROM chat_messages WHERE session_id = %(session_id)s),
       'user', %(content)s, %(request_id)s, %(created_at)s
FROM chat_sessions s
WHERE s.id = %(session_id)s AND s.status = 'active'
ON CONFLICT (session_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
RETURNING id, session_id, seq, role, content, prompt_tokens, completion_tokens, fee_neuron, provider, model,
          verification, degraded, offline, incomplete, degraded_reason, context_refreshed, compressed, request_id, reply_to, created_at,
          grounding, receipt_id

-- name: uncovered_messages
-- The transcript after the newest summary's range (all of it without a summary), for the prompt
-- and the compression plan: no grounding record or receipt (opening and parsing every earlier
-- answer's grounding record was a third of the turn's first transaction).
SELECT id, session_id, seq, role, content, prompt_tokens, completion_tokens, fee_neuron, provider, model,
       verification, degraded, offline, incomplete, degraded_reason, context_refreshed, compressed, request_id, reply_to, created_at
FROM chat_messages
WHERE session_id = %(session_id)s
  AND seq > COALESCE((SELECT max(to_seq) FROM chat_summaries WHERE session_id = %(session_id)s), 0)
ORDER BY seq

-- name: lock_for_turn
-- The session, locked for the turn's transaction, with what its owner spent today and the owner's
-- language for the answer (NULL without notification preferences).
SELECT s.id, s.user_id, s.title, s.context, s.created_at, s.updated_at, s.last_accessed_at, s.message_count,
       s.tokens_used, s.status, s.provider_address, s.model, s.auto_summarize, s.summarize_interval,
       s.archive_address, s.archive_time,
       COALESCE((SELECT u.tokens FROM chat_token_usage u WHERE u.user_id = s.user_id AND u.day = %(day)s), 0)
           AS day_tokens,
       (SELECT p.locale FROM notification_prefs p WHERE p.user_id = s.user_id) AS locale
FROM chat_sessions s
WHERE s.id = %(id)s
FOR UPDATE OF s

-- name: insert_message
INSERT INTO chat_messages (
    id, session_id, seq, role, content, prompt_tokens, completion_tokens, fee_neuron, provider, model,
    verification, degraded, offline, incomplete, degraded_reason, context_refreshed, compressed, request_id, reply_to, created_at,
          grounding, receipt_id
) VALUES (
    %(id)s, %(session_id)s,
    (SELECT COALESCE(max(seq), 0) + 1 FROM chat_messages WHERE session_id = %(session_id)s),
    %(role)s, %(content)s, %(prompt_tokens)s, %(completion_tokens)s, %(fee_neuron)s, %(provider)s, %(model)s,
    %(verification)s, %(degraded)s, %(offline)s, %(incomplete)s, %(degraded_reason)s, %(context_refreshed)s, %(compressed)s,
    %(request_id)s, %(reply_to)s, %(created_at)s, %(grounding)s, %(receipt_id)s
)
RETURNING id, session_id, seq, role, content, prompt_tokens, completion_tokens, fee_neuron, provider, model,
          verification, degraded, offline, incomplete, degraded_reason, context_refreshed, compressed, request_id, reply_to, created_at,
          grounding, receipt_id

-- name: after_message
-- The session after a message was stored: counters, the refreshed context (if any) and the
-- recent window in the seed's `messages` column (newest `window` messages, oldest first). With
-- `release`, the turn lease is released in the same statement when it is still `owner`'s (as
-- release_lease does).
UPDATE chat_sessions SET
    message_count = (SELECT COALESCE(max(seq), 0) FROM chat_messages WHERE session_id = %(id)s),
    tokens_used = tokens_used + %(tokens)s,
    updated_at = GREATEST(updated_at, %(at)s),
    last_accessed_at = GREATEST(last_accessed_at, %(at)s),
    context = COALESCE(%(context)s, context),
    messages = (
        SELECT COALESCE(jsonb_agg(jsonb_build_object(
                   'id', w.id, 'seq', w.seq, 'role', w.role, 'content', w.content,
                   'created_at', w.created_at, 'incomplete', w.incomplete) ORDER BY w.seq), '[]'::jsonb)
        FROM (SELECT id, seq, role, content, created_at, incomplete FROM chat_messages
              WHERE session_id = %(id)s ORDER BY seq DESC LIMIT %(window)s) AS w
    ),
    lease_owner = CASE WHEN %(release)s AND lease_owner = %(owner)s::uuid THEN NULL ELSE lease_owner END,
    lease_expires_at = CASE WHEN %(release)s AND lease_owner = %(owner)s::uuid THEN NULL ELSE lease_expires_at END
WHERE id = %(id)s
RETURNING id, user_id, title, context, created_at, updated_at, last_accessed_at, message_count, tokens_used,
          status, provider_address, model, auto_summarize, summarize_interval, archive_address, archive_time

-- name: messages_after
SELECT id, session_id, seq, role, content, prompt_tokens, completion_tokens, fee_neuron, provider, model,
       verification, degraded, offline, incomplete, degraded_reason, context_refreshed, compressed, request_id, reply_to, created_at,
          grounding, receipt_id, (SELECT user_id FROM chat_sessions WHERE id = %(session_id)s) AS owner
FROM chat_messages
WHERE session_id = %(session_id)s AND seq > %(after_seq)s
ORDER BY seq

-- name: find_turn
WITH u AS (SELECT id FROM chat_messages WHERE session_id = %(session_id)s AND request_id = %(request_id)s)
SELECT m.id, m.session_id, m.seq, m.role, m.content, m.prompt_tokens, m.completion_tokens, m.fee_neuron,
       m.provider, m.model, m.verification, m.degraded, m.offline, m.incomplete, m.degraded_reason, m.context_refreshed,
       m.compressed, m.request_id, m.reply_to, m.created_at, m.grounding, m.receipt_id,
       (SELECT user_id FROM chat_sessions WHERE id = %(session_id)s) AS owner
FROM chat_messages m JOIN u ON m.id = u.id OR m.reply_to = u.id
ORDER BY m.seq

-- name: latest_summary
SELECT id, session_id, version, from_seq, to_seq, content, content_sha256, source_sha256, previous_id, provider,
       model, offline, prompt_tokens, completion_tokens, created_at, (SELECT user_id FROM chat_sessions WHERE id = %(session_id)s) AS owner
FROM chat_summaries
WHERE session_id = %(session_id)s
ORDER BY version DESC
LIMIT 1

-- name: summaries
SELECT id, session_id, version, from_seq, to_seq, content, content_sha256, source_sha256, previous_id, provider,
       model, offline, prompt_tokens, completion_tokens, created_at, (SELECT user_id FROM chat_sessions WHERE id = %(session_id)s) AS owner
FROM chat_summaries
WHERE session_id = %(session_id)s
ORDER BY version

-- name: insert_summary
INSERT INTO chat_summaries (
    id, session_id, version, from_seq, to_seq, content, content_sha256, source_sha256, previous_id, provider,
    model, offline, prompt_tokens, completion_tokens, created_at
) VALUES (
    %(id)s, %(session_id)s, %(version)s, %(from_seq)s, %(to_seq)s, %(content)s, %(content_sha256)s,
    %(source_sha256)s, %(previous_id)s, %(provider)s, %(model)s, %(offline)s, %(prompt_tokens)s,
    %(completion_tokens)s, %(created_at)s
)
RETURNING id, session_id, version, from_seq, to_seq, content, content_sha256, source_sha256, previous_id, provider,
          model, offline, prompt_tokens, completion_tokens, created_at

-- name: add_session_tokens
UPDATE chat_sessions SET tokens_used = tokens_used + %(tokens)s WHERE id = %(id)s

-- name: add_daily_tokens
INSERT INTO chat_token_usage (user_id, day, tokens) VALUES (%(user_id)s, %(day)s, %(tokens)s)
ON CONFLICT (user_id, day) DO UPDATE SET tokens = chat_token_usage.tokens + EXCLUDED.tokens

-- name: daily_tokens
SELECT tokens FROM chat_token_usage WHERE user_id = %(user_id)s AND day = %(day)s

-- name: acquire_lease
-- Take the turn lease when it is free, expired, already ours, or held by one of `orphans` (this
-- process's own leases whose release failed: nothing runs under them any more). `acquired` is 0
-- when another holder has it; `found` is 0 when the session does not exist.
WITH s AS (SELECT id FROM chat_sessions WHERE id = %(id)s),
     taken AS (
         UPDATE chat_sessions
         SET lease_owner = %(owner)s, lease_expires_at = now() + make_interval(secs => %(ttl)s)
         WHERE id = %(id)s
           AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = %(owner)s
                OR lease_owner = ANY(%(orphans)s::uuid[]))
         RETURNING id
     )
SELECT (SELECT count(*) FROM s) AS found, (SELECT count(*) FROM taken) AS acquired

-- name: renew_lease
UPDATE chat_sessions SET lease_expires_at = now() + make_interval(secs => %(ttl)s)
WHERE id = %(id)s AND lease_owner = %(owner)s
RETURNING id

-- name: release_lease
UPDATE chat_sessions SET lease_owner = NULL, lease_expires_at = NULL
WHERE id = %(id)s AND lease_owner = %(owner)s

-- name: request_hash
SELECT request_hash FROM idempotency_keys
WHERE method = %(method)s AND principal = %(principal)s AND request_id = %(request_id)s

-- name: record_request
INSERT INTO idempotency_keys (method, principal, request_id, request_hash, response)
VALUES (%(method)s, %(principal)s, %(request_id)s, %(request_hash)s, %(response)s)
ON CONFLICT DO NOTHING
RETURNING 1

-- name: chat_activity
-- Figures for the dashboard, refreshed every 30 s by each API replica (indexed: status, last_accessed_at).
SELECT (SELECT count(*) FROM chat_sessions WHERE status = 'active') AS active_sessions,
       (SELECT count(*) FROM chat_sessions WHERE last_accessed_at > now() - make_interval(secs => %(recent)s))
           AS recent_sessions,
       (SELECT count(DISTINCT user_id) FROM chat_sessions
         WHERE last_accessed_at > now() - make_interval(secs => %(recent)s)) AS recent_users

-- name: clear_title
-- Sealing what is left in the clear (rows from before encryption at rest), see seal_leftovers.
SELECT title FROM chat_sessions WHERE id = %(id)s AND title <> '' AND left(title, 4) <> 'sc1:'

-- name: set_title
UPDATE chat_sessions SET title = %(title)s WHERE id = %(id)s

-- name: clear_messages
SELECT id, content FROM chat_messages
WHERE session_id = %(session_id)s AND content <> '' AND left(content, 4) <> 'sc1:'

-- name: set_message_content
UPDATE chat_messages SET content = %(content)s WHERE id = %(id)s

-- name: clear_summaries
SELECT id, content FROM chat_summaries
WHERE session_id = %(session_id)s AND content <> '' AND left(content, 4) <> 'sc1:'

-- name: set_summary_content
UPDATE chat_summaries SET content = %(content)s WHERE id = %(id)s

-- name: rebuild_window
-- The recent-message window copies stored contents: rebuilt after sealing them (same size as before).
UPDATE chat_sessions SET messages = (
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
               'id', w.id, 'seq', w.seq, 'role', w.role, 'content', w.content,
               'created_at', w.created_at, 'incomplete', w.incomplete) ORDER BY w.seq), '[]'::jsonb)
    FROM (SELECT id, seq, role, content, created_at, incomplete FROM chat_messages
          WHERE session_id = %(id)s
          ORDER BY seq DESC
          LIMIT GREATEST(jsonb_array_length(COALESCE((SELECT messages FROM chat_sessions WHERE id = %(id)s),
                                                     '[]'::jsonb)), 1)) AS w
)
WHERE id = %(id)s
