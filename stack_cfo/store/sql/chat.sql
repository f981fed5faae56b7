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

-- name: list_session_keys
-- A page's order and each row's stored context size (pg_column_size: no de-TOASTing), without the
-- contexts: the rows are then read in small batches (list_sessions_by_id) until the page is full.
SELECT id, last_accessed_at, pg_column_size(context) AS context_bytes
FROM chat_sessions
WHERE user_id = %(user_id)s
  AND status = ANY(%(statuses)s)
  AND (%(after_time)s::timestamptz IS NULL OR (last_accessed_at, id) < (%(after_time)s::timestamptz, %(after_id)s::uuid))
ORDER BY last_accessed_at DESC, id DESC
LIMIT %(limit)s

-- name: list_sessions_by_id
-- The context as JSON text: parsed by the repository (off the event loop when large), not by the driver.
SELECT id, user_id, title, context::text AS context_json, created_at, updated_at, last_accessed_at,
       message_count, tokens_used, status, provider_address, model, auto_summarize, summarize_interval,
       archive_address, archive_time
FROM chat_sessions
WHERE id = ANY(%(ids)s::uuid[]) AND user_id = %(user_id)s AND status = ANY(%(statuses)s)

-- name: delete_session
-- The sealed transcript of an archive attempt not recorded (migration 23) goes with the session.
WITH deleted AS (
    UPDATE chat_sessions SET status = 'deleted', updated_at = %(at)s
    WHERE id = %(id)s AND status <> 'deleted'
    RETURNING id
), dropped AS (
    DELETE FROM chat_archive_uploads WHERE session_id = %(id)s
)
SELECT id FROM deleted

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

-- name: archive_upload
-- The sealed transcript an earlier ArchiveSession attempt kept before uploading it (migration 23).
SELECT sealed FROM chat_archive_uploads WHERE session_id = %(id)s

-- name: keep_archive_upload
-- Kept before the upload, only while the session is active; a newer transcript replaces the old.
INSERT INTO chat_archive_uploads AS u (session_id, user_id, sealed)
SELECT s.id, s.user_id, %(sealed)s FROM chat_sessions s WHERE s.id = %(id)s AND s.status = 'active'
ON CONFLICT (session_id) DO UPDATE SET sealed = EXCLUDED.sealed, created_at = now(),
    submit_tx_hash = NULL, submit_nonce = NULL, submit_raw = NULL, submitted_at = NULL
RETURNING 1

-- name: archive_submission
-- The 0G Flow.submit transaction signed for the kept transcript, written before it was sent (migration 24).
SELECT submit_tx_hash, submit_nonce, submit_raw FROM chat_archive_uploads
WHERE session_id = %(id)s AND submit_tx_hash IS NOT NULL

-- name: remember_archive_submission
-- Only for the kept bytes it was signed for (`sealed` unchanged); a re-priced transaction replaces the one before.
UPDATE chat_archive_uploads
SET submit_tx_hash = %(tx_hash)s, submit_nonce = %(nonce)s, submit_raw = %(raw)s, submitted_at = now()
WHERE session_id = %(id)s AND sealed = %(sealed)s
RETURNING 1

-- name: drop_archive_upload
DELETE FROM chat_archive_uploads WHERE session_id = %(id)s

-- name: begin_turn
-- A turn's first transaction in one call (migrations 16, 17 and 19 have the statements): rows by
-- `part` ('session', 'inserted', 'reused', 'summary', 'uncovered'); none when the session is not
-- there. With `reserve` > 0 the turn reserves that many tokens of its user's daily budget (the
-- 'session' row's `day_reserved` is what the user's other turns in flight hold).
SELECT * FROM chat_begin_turn(
    %(id)s::uuid, %(day)s::date, %(message_id)s::uuid, %(content)s::text, %(request_id)s::text,
    %(created_at)s::timestamptz, %(window)s::integer, %(owner)s::uuid, %(ttl)s::float8, %(orphans)s::uuid[],
    %(reserve)s::integer)

-- name: complete_turn
-- A turn's second transaction in one call (migration 16): the stored answer; no_data_found when the
-- session is not there. The turn's token reservation is replaced by its usage (migration 19).
SELECT * FROM chat_complete_turn(
    %(session_id)s::uuid, %(user_id)s::uuid, %(day)s::date, %(window)s::integer, %(release)s::boolean,
    %(owner)s::uuid, %(tokens)s::integer, %(message)s::jsonb)

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
-- Only into a session still there and not deleted: no row (nothing inserted) for a session deleted
-- (DeleteSession) or erased (EraseUserData) meanwhile. The row lock orders it with the deletion, as
-- chat_complete_turn's (migration 21): whichever commits first wins.
WITH live AS (
    SELECT s.id FROM chat_sessions s WHERE s.id = %(session_id)s AND s.status <> 'deleted' FOR UPDATE
)
INSERT INTO chat_summaries (
    id, session_id, version, from_seq, to_seq, content, content_sha256, source_sha256, previous_id, provider,
    model, offline, prompt_tokens, completion_tokens, created_at
)
SELECT %(id)s, live.id, %(version)s, %(from_seq)s, %(to_seq)s, %(content)s, %(content_sha256)s,
       %(source_sha256)s, %(previous_id)s, %(provider)s, %(model)s, %(offline)s, %(prompt_tokens)s,
       %(completion_tokens)s, %(created_at)s
FROM live
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
-- Take the turn lease when it is free, expired, already ours, held by one of `orphans` (this
-- process's own leases whose release failed: nothing runs under them any more), or, with
-- `stale_after`, held by a replica whose heartbeat is older than that (a crashed one); the lease
-- records `replica` (the rule is chat_take_lease's, migrations 17 and 22). `acquired` is 0 when
-- another holder has it; `found` is 0 when the session does not exist.
SELECT (SELECT count(*) FROM chat_sessions WHERE id = %(id)s) AS found,
       chat_take_lease(%(id)s, %(owner)s, %(ttl)s, %(orphans)s::uuid[], %(replica)s::uuid,
                       %(stale_after)s::float8)::int AS acquired

-- name: take_turn_lease
-- acquire_lease's rule in a turn's first transaction, before begin_turn (whose own take, migration
-- 17's rule without a replica, then finds the lease its own; the turn reads that result).
SELECT chat_take_lease(%(id)s::uuid, %(owner)s::uuid, %(ttl)s::float8, %(orphans)s::uuid[], %(replica)s::uuid,
                       %(stale_after)s::float8)

-- name: renew_lease
UPDATE chat_sessions SET lease_expires_at = now() + make_interval(secs => %(ttl)s)
WHERE id = %(id)s AND lease_owner = %(owner)s
RETURNING id

-- name: release_lease
-- The turn's token reservation (migration 19) goes with its lease (a turn that ended without
-- storing an answer).
UPDATE chat_sessions SET lease_owner = NULL, lease_expires_at = NULL, lease_replica = NULL, reserved_tokens = 0,
                         reserved_owner = NULL
WHERE id = %(id)s AND lease_owner = %(owner)s

-- name: replica_beat
-- This process's replica heartbeat (migration 22), every few seconds on a bare libpq connection of
-- its own (stack_cfo/store/chat/replica.py: $n parameters): $1 the replica id, $2 seconds after
-- which replicas not seen are deleted (stopped without saying so long ago), $3 host, $4 pid.
WITH forgotten AS (
    DELETE FROM server_replicas WHERE seen_at < now() - make_interval(secs => $2::float8) AND id <> $1::uuid
)
INSERT INTO server_replicas AS r (id, seen_at, host, pid) VALUES ($1::uuid, now(), $3::text, $4::integer)
ON CONFLICT (id) DO UPDATE SET seen_at = now()

-- name: replica_gone
-- The replica stops ($1: its id): its leases (released by then, or left by a turn whose release
-- failed) expire by their TTL, as those of a replica without a heartbeat.
DELETE FROM server_replicas WHERE id = $1::uuid

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
