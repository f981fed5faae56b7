-- Notification scheduler queries (stack_cfo.store.scheduler_repo). Parameters are psycopg
-- %(name)s placeholders. "%(now)s" may be NULL everywhere it is wrapped in coalesce(..., now()):
-- production uses the database clock; tests pass a frozen instant.
--
-- The audience of a kind: every user, with notification_prefs when saved and the defaults
-- otherwise (UTC, everything on, email to users.email, opted in when the account was created).

-- name: db_now
SELECT clock_timestamp() AS now

-- name: lock_planner
SELECT pg_try_advisory_xact_lock(hashtext('stack_cfo.planner:' || %(kind)s)) AS locked

-- name: wait_planner_lock
-- The same lock as lock_planner, waited for: a change of the state never lands between a tick's
-- read of it and its write (the tick would overwrite it).
SELECT pg_advisory_xact_lock(hashtext('stack_cfo.planner:' || %(kind)s))

-- name: ensure_state
INSERT INTO scheduler_state (kind, deploy_epoch) VALUES (%(kind)s, %(now)s)
ON CONFLICT (kind) DO NOTHING

-- name: get_state
SELECT kind, deploy_epoch, planned_until, last_run_at, last_planned, last_missed, last_duration_ms
FROM scheduler_state WHERE kind = %(kind)s

-- name: all_states
SELECT kind, deploy_epoch, planned_until, last_run_at, last_planned, last_missed, last_duration_ms
FROM scheduler_state

-- name: set_epoch
INSERT INTO scheduler_state (kind, deploy_epoch, planned_until) VALUES (%(kind)s, %(epoch)s, %(planned_until)s)
ON CONFLICT (kind) DO UPDATE SET deploy_epoch = EXCLUDED.deploy_epoch, planned_until = EXCLUDED.planned_until

-- name: save_state
UPDATE scheduler_state
SET planned_until = greatest(coalesce(planned_until, %(now)s), %(now)s),
    last_run_at = %(now)s,
    last_planned = %(planned)s,
    last_missed = %(missed)s,
    last_duration_ms = %(duration_ms)s
WHERE kind = %(kind)s

-- name: distinct_time_zones
SELECT DISTINCT coalesce(p.time_zone, 'UTC') AS tz
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id

-- name: plan_slots
-- One row per (user, slot, channel, target): email when the user has an address, push per active
-- device. Slots come from Python (zoneinfo) as parallel arrays, one entry per (time zone, period),
-- all of one status (the caller runs this once for pending slots and once for missed ones, and
-- reads the row count). Only one planner runs per kind at a time (advisory lock), so no ORDER BY
-- is needed for lock ordering; a RunJob racing on the same keys at worst aborts and retries.
WITH slots AS (
    SELECT *
    FROM unnest(%(tzs)s::text[], %(periods)s::text[], %(scheduled)s::timestamptz[],
                %(deadlines)s::timestamptz[])
         AS s(tz, period, scheduled_for, deadline)
), audience AS (
    SELECT u.id AS user_id,
           coalesce(p.time_zone, 'UTC') AS tz,
           coalesce(p.opted_in_at, u.created_at) AS opted_in_at,
           coalesce(p.email_enabled, true)
             AND (CASE WHEN p.user_id IS NULL THEN coalesce(u.email, '') ELSE p.email_address END) <> ''
             AS wants_email,
           coalesce(p.push_enabled, true) AS wants_push,
           coalesce(p.webhook_enabled, true) AS wants_webhook,
           coalesce(p.feed_enabled, true) AS wants_feed
    FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id
    WHERE u.erased_at IS NULL  -- an erased user (EraseUserData's tombstone) gets nothing
      AND CASE %(kind)s
            WHEN 'digest' THEN coalesce(p.daily_digest_enabled, true)
            WHEN 'weekly' THEN coalesce(p.weekly_summary_enabled, true)
            ELSE coalesce(p.performance_alerts_enabled, true)
          END
      AND (%(user_id)s::uuid IS NULL OR u.id = %(user_id)s::uuid)
), targets AS (
    SELECT a.user_id, a.tz, a.opted_in_at, 'email'::text AS channel, 0::bigint AS target_id
    FROM audience a WHERE a.wants_email
    UNION ALL
    SELECT a.user_id, a.tz, a.opted_in_at, 'push'::text, d.id
    FROM audience a JOIN push_devices d ON d.user_id = a.user_id AND d.active
    WHERE a.wants_push
    UNION ALL
    SELECT a.user_id, a.tz, a.opted_in_at, 'webhook'::text, w.id
    FROM audience a JOIN webhook_endpoints w ON w.user_id = a.user_id
    WHERE a.wants_webhook AND NOT w.disabled AND (cardinality(w.kinds) = 0 OR %(kind)s = ANY(w.kinds))
    UNION ALL
    SELECT a.user_id, a.tz, a.opted_in_at, 'webhook'::text, w.id
    FROM audience a CROSS JOIN webhook_endpoints w
    WHERE w.service IS NOT NULL AND a.wants_webhook AND NOT w.disabled
      AND (cardinality(w.kinds) = 0 OR %(kind)s = ANY(w.kinds))
    UNION ALL
    SELECT a.user_id, a.tz, a.opted_in_at, 'feed'::text, f.id
    FROM audience a CROSS JOIN notification_feeds f
    WHERE f.enabled AND a.wants_feed AND (cardinality(f.kinds) = 0 OR %(kind)s = ANY(f.kinds))
)
INSERT INTO notification_outbox (
    idempotency_key, kind, user_id, channel, target_id, slot_local, scheduled_for, deadline,
    status, max_attempts, next_attempt_at, reason, created_at, updated_at)
SELECT %(kind)s || ':' || t.user_id::text || ':' || s.period || ':' || t.channel || ':' || t.target_id::text,
       %(kind)s, t.user_id, t.channel, t.target_id, s.period, s.scheduled_for, s.deadline,
       %(status)s, %(max_attempts)s,
       CASE WHEN %(status)s = 'pending' THEN s.scheduled_for END,
       CASE WHEN %(status)s = 'missed' THEN 'grace_exceeded' END,
       %(now)s, %(now)s
FROM slots s JOIN targets t ON t.tz = s.tz
WHERE s.scheduled_for >= greatest(%(epoch)s::timestamptz, t.opted_in_at)
ON CONFLICT (idempotency_key) DO NOTHING

-- name: planner_work_mem
SET LOCAL work_mem = '64MB'

-- name: plan_run
-- RunJob: the current period's notifications for everyone (or one user), tagged with the run, under keys of
-- their own ("{period}~m{tag}" in the key, the plain period in slot_local so the content is the period's):
-- a manual run never takes the scheduled notification's key. Returns every candidate with the row that now
-- holds its key: inserted here (new_id) or already there (existing_id, reported as skipped "duplicate").
WITH slots AS (
    SELECT *
    FROM unnest(%(tzs)s::text[], %(periods)s::text[]) AS s(tz, period)
), audience AS (
    SELECT u.id AS user_id,
           coalesce(p.time_zone, 'UTC') AS tz,
           coalesce(p.email_enabled, true)
             AND (CASE WHEN p.user_id IS NULL THEN coalesce(u.email, '') ELSE p.email_address END) <> ''
             AS wants_email,
           coalesce(p.push_enabled, true) AS wants_push,
           coalesce(p.webhook_enabled, true) AS wants_webhook,
           coalesce(p.feed_enabled, true) AS wants_feed
    FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id
    WHERE u.erased_at IS NULL  -- an erased user (EraseUserData's tombstone) gets nothing
      AND CASE %(kind)s
            WHEN 'digest' THEN coalesce(p.daily_digest_enabled, true)
            WHEN 'weekly' THEN coalesce(p.weekly_summary_enabled, true)
            ELSE coalesce(p.performance_alerts_enabled, true)
          END
      AND (%(user_id)s::uuid IS NULL OR u.id = %(user_id)s::uuid)
), cand AS (
    SELECT %(kind)s || ':' || t.user_id::text || ':' || s.period || '~m' || %(tag)s || ':' || t.channel || ':'
             || t.target_id::text AS idempotency_key,
           t.user_id, t.channel, t.target_id, s.period, s.tz
    FROM (
        SELECT a.user_id, a.tz, 'email'::text AS channel, 0::bigint AS target_id FROM audience a WHERE a.wants_email
        UNION ALL
        SELECT a.user_id, a.tz, 'push'::text, d.id
        FROM audience a JOIN push_devices d ON d.user_id = a.user_id AND d.active WHERE a.wants_push
        UNION ALL
        SELECT a.user_id, a.tz, 'webhook'::text, w.id
        FROM audience a JOIN webhook_endpoints w ON w.user_id = a.user_id OR w.service IS NOT NULL
        WHERE a.wants_webhook AND NOT w.disabled AND (cardinality(w.kinds) = 0 OR %(kind)s = ANY(w.kinds))
        UNION ALL
        SELECT a.user_id, a.tz, 'feed'::text, f.id
        FROM audience a CROSS JOIN notification_feeds f
        WHERE f.enabled AND a.wants_feed AND (cardinality(f.kinds) = 0 OR %(kind)s = ANY(f.kinds))
    ) t JOIN slots s ON s.tz = t.tz
), ins AS (
    INSERT INTO notification_outbox (
        idempotency_key, kind, user_id, channel, target_id, slot_local, scheduled_for, deadline,
        status, max_attempts, next_attempt_at, payload, run_id, manual, created_at, updated_at)
    SELECT c.idempotency_key, %(kind)s, c.user_id, c.channel, c.target_id, c.period, %(now)s, %(deadline)s,
           'pending', %(max_attempts)s, %(now)s, jsonb_build_object('manual', true), %(run_id)s, true,
           %(now)s, %(now)s
    FROM cand c
    ORDER BY 1  -- small; keeps lock order stable against a concurrent RunJob
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
)
SELECT c.idempotency_key, c.user_id, c.channel, c.target_id, i.id AS new_id, o.id AS existing_id
FROM cand c
LEFT JOIN ins i ON i.idempotency_key = c.idempotency_key
LEFT JOIN notification_outbox o ON o.idempotency_key = c.idempotency_key
ORDER BY c.idempotency_key

-- name: claim_due
WITH c AS (
    SELECT id FROM notification_outbox
    WHERE status IN ('pending', 'retry') AND next_attempt_at <= coalesce(%(now)s::timestamptz, now())
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET status = 'sending',
    attempts = o.attempts + 1,
    locked_by = %(worker)s,
    locked_until = coalesce(%(now)s::timestamptz, now()) + %(lease)s,
    updated_at = coalesce(%(now)s::timestamptz, now())
FROM c
WHERE o.id = c.id
RETURNING o.id, o.idempotency_key, o.kind, o.user_id, o.channel, o.target_id, o.slot_local,
          o.scheduled_for, o.deadline, o.attempts, o.max_attempts, o.run_id, o.manual,
          coalesce(%(now)s::timestamptz, now()) AS db_now

-- name: claim_run
-- claim_due restricted to one RunJob's rows. Kept as its own statement (not "run_id IS NULL OR ...")
-- so each keeps the plan of its own index under prepared (generic) plans.
WITH c AS (
    SELECT id FROM notification_outbox
    WHERE run_id = %(run_id)s AND status IN ('pending', 'retry')
      AND next_attempt_at <= coalesce(%(now)s::timestamptz, now())
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET status = 'sending',
    attempts = o.attempts + 1,
    locked_by = %(worker)s,
    locked_until = coalesce(%(now)s::timestamptz, now()) + %(lease)s,
    updated_at = coalesce(%(now)s::timestamptz, now())
FROM c
WHERE o.id = c.id
RETURNING o.id, o.idempotency_key, o.kind, o.user_id, o.channel, o.target_id, o.slot_local,
          o.scheduled_for, o.deadline, o.attempts, o.max_attempts, o.run_id, o.manual,
          coalesce(%(now)s::timestamptz, now()) AS db_now

-- name: prefs_for_users
SELECT u.id AS user_id, u.email AS account_email, u.created_at AS user_created_at,
       p.user_id IS NOT NULL AS saved, p.time_zone, p.daily_digest_enabled, p.weekly_summary_enabled,
       p.performance_alerts_enabled, p.email_enabled, p.push_enabled, p.webhook_enabled, p.feed_enabled,
       p.email_address,
       p.quiet_hours_start, p.quiet_hours_end, p.alert_threshold_percent, p.alert_threshold_sigma,
       p.locale, p.opted_in_at, p.updated_at
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id
WHERE u.id = ANY(%(user_ids)s::uuid[])

-- name: devices_by_ids
SELECT id, user_id, platform, token, token_sha256, display_name, active, created_at, updated_at
FROM push_devices WHERE id = ANY(%(ids)s::bigint[])

-- name: mark_sent
-- One or more fenced "sent" write-backs in one statement (group commit: one WAL flush for all of them), each
-- with the provenance of its AI texts (receipt ids comma-joined per row: unnest cannot carry arrays of arrays).
UPDATE notification_outbox o
SET status = 'sent', sent_at = coalesce(b.now, now()), provider_id = b.provider_id,
    title = b.title, target_address = b.target, reason = NULL, last_error = NULL,
    degraded_reason = b.degraded_reason,
    receipt_ids = coalesce(string_to_array(nullif(b.receipts, ''), ',')::uuid[], '{}'),
    locale = nullif(b.locale, ''), locale_fallback_from = nullif(b.locale_fallback_from, ''),
    next_attempt_at = NULL, locked_by = NULL, locked_until = NULL,
    updated_at = coalesce(b.now, now())
FROM unnest(%(ids)s::bigint[], %(workers)s::text[], %(attempts)s::int[], %(provider_ids)s::text[],
            %(titles)s::text[], %(targets)s::text[], %(nows)s::timestamptz[], %(degraded_reasons)s::text[],
            %(receipts)s::text[], %(locales)s::text[], %(locale_fallbacks)s::text[])
     AS b(id, worker, attempts, provider_id, title, target, now, degraded_reason, receipts, locale,
          locale_fallback_from)
WHERE o.id = b.id AND o.locked_by = b.worker AND o.attempts = b.attempts AND o.status = 'sending'
RETURNING o.id, o.sent_at, o.scheduled_for, o.run_id

-- name: mark_retry
-- %(rendered)s: the content was rendered before the attempt; its locale and provenance are recorded whatever
-- the outcome (false keeps the columns). The same in mark_deferred and mark_final.
UPDATE notification_outbox
SET status = 'retry', next_attempt_at = %(next_attempt_at)s, reason = %(reason)s, last_error = %(error)s,
    title = coalesce(%(title)s, title), target_address = coalesce(%(target)s, target_address),
    locale = CASE WHEN %(rendered)s THEN nullif(%(locale)s, '') ELSE locale END,
    locale_fallback_from = CASE WHEN %(rendered)s THEN nullif(%(locale_fallback_from)s, '') ELSE locale_fallback_from END,
    degraded_reason = CASE WHEN %(rendered)s THEN %(degraded_reason)s ELSE degraded_reason END,
    receipt_ids = CASE WHEN %(rendered)s THEN %(receipt_ids)s::uuid[] ELSE receipt_ids END,
    locked_by = NULL, locked_until = NULL, updated_at = coalesce(%(now)s::timestamptz, now())
WHERE id = %(id)s AND locked_by = %(worker)s AND attempts = %(attempts)s AND status = 'sending'
RETURNING id, run_id

-- name: mark_deferred
-- Quiet hours: not a failed attempt, so the attempt is given back; the deadline moves with it.
UPDATE notification_outbox
SET status = 'pending', attempts = greatest(attempts - 1, 0), next_attempt_at = %(until)s,
    deadline = greatest(deadline, %(deadline)s), reason = %(reason)s,
    title = coalesce(%(title)s, title), target_address = coalesce(%(target)s, target_address),
    locale = CASE WHEN %(rendered)s THEN nullif(%(locale)s, '') ELSE locale END,
    locale_fallback_from = CASE WHEN %(rendered)s THEN nullif(%(locale_fallback_from)s, '') ELSE locale_fallback_from END,
    degraded_reason = CASE WHEN %(rendered)s THEN %(degraded_reason)s ELSE degraded_reason END,
    receipt_ids = CASE WHEN %(rendered)s THEN %(receipt_ids)s::uuid[] ELSE receipt_ids END,
    locked_by = NULL, locked_until = NULL, updated_at = coalesce(%(now)s::timestamptz, now())
WHERE id = %(id)s AND locked_by = %(worker)s AND attempts = %(attempts)s AND status = 'sending'
RETURNING id, run_id

-- name: mark_final
-- attempted = false: settled before any delivery was tried (skipped, expired): the attempt is given back.
UPDATE notification_outbox
SET status = %(status)s, reason = %(reason)s, last_error = %(error)s,
    attempts = CASE WHEN %(attempted)s THEN attempts ELSE greatest(attempts - 1, 0) END,
    title = coalesce(%(title)s, title), target_address = coalesce(%(target)s, target_address),
    locale = CASE WHEN %(rendered)s THEN nullif(%(locale)s, '') ELSE locale END,
    locale_fallback_from = CASE WHEN %(rendered)s THEN nullif(%(locale_fallback_from)s, '') ELSE locale_fallback_from END,
    degraded_reason = CASE WHEN %(rendered)s THEN %(degraded_reason)s ELSE degraded_reason END,
    receipt_ids = CASE WHEN %(rendered)s THEN %(receipt_ids)s::uuid[] ELSE receipt_ids END,
    next_attempt_at = NULL, locked_by = NULL, locked_until = NULL,
    updated_at = coalesce(%(now)s::timestamptz, now())
WHERE id = %(id)s AND locked_by = %(worker)s AND attempts = %(attempts)s AND status = 'sending'
RETURNING id, run_id

-- name: release_claims
-- Graceful shutdown: every row this worker still holds goes back, its attempt given back.
UPDATE notification_outbox
SET status = CASE WHEN attempts > 1 THEN 'retry' ELSE 'pending' END,
    attempts = greatest(attempts - 1, 0),
    next_attempt_at = coalesce(%(now)s::timestamptz, now()),
    locked_by = NULL, locked_until = NULL, updated_at = coalesce(%(now)s::timestamptz, now())
WHERE locked_by = %(worker)s AND status = 'sending'
RETURNING id

-- name: release_row
-- One claimed row that was never started goes back (fenced like every write-back).
UPDATE notification_outbox
SET status = CASE WHEN attempts > 1 THEN 'retry' ELSE 'pending' END,
    attempts = greatest(attempts - 1, 0),
    next_attempt_at = coalesce(%(now)s::timestamptz, now()),
    locked_by = NULL, locked_until = NULL, updated_at = coalesce(%(now)s::timestamptz, now())
WHERE id = %(id)s AND locked_by = %(worker)s AND attempts = %(attempts)s AND status = 'sending'
RETURNING id

-- name: reap_expired_claims
-- A claim that expired leaves its row in 'sending': its worker died (SIGKILL, lost network), or could not
-- write back before the lease ran out (a database outage longer than the lease). Such rows are retried
-- (at-least-once); a row that keeps losing its claim ends 'dead' at max_attempts.
WITH stuck AS (
    SELECT id FROM notification_outbox
    WHERE status = 'sending' AND locked_until < coalesce(%(now)s::timestamptz, now())
    ORDER BY locked_until
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET status = CASE WHEN o.attempts >= o.max_attempts THEN 'dead' ELSE 'retry' END,
    reason = CASE WHEN o.attempts >= o.max_attempts THEN 'max_attempts' ELSE 'worker_lost' END,
    last_error = 'claim by ' || o.locked_by || ' expired',
    next_attempt_at = CASE WHEN o.attempts >= o.max_attempts THEN NULL
                           ELSE coalesce(%(now)s::timestamptz, now()) END,
    locked_by = NULL, locked_until = NULL, updated_at = coalesce(%(now)s::timestamptz, now())
FROM stuck
WHERE o.id = stuck.id
RETURNING o.id, o.status, o.kind, o.run_id

-- name: requeue_dead
UPDATE notification_outbox
SET status = 'retry', attempts = 0, reason = NULL, last_error = NULL,
    next_attempt_at = coalesce(%(now)s::timestamptz, now()),
    deadline = greatest(deadline, coalesce(%(now)s::timestamptz, now()) + %(extend)s),
    updated_at = coalesce(%(now)s::timestamptz, now())
WHERE status = 'dead'
  AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
  AND (%(kind)s::text IS NULL OR kind = %(kind)s::text)
RETURNING id

-- name: deactivate_device
UPDATE push_devices
SET active = false, invalidated_at = coalesce(%(now)s::timestamptz, now()), invalid_reason = %(reason)s,
    updated_at = coalesce(%(now)s::timestamptz, now())
WHERE id = %(id)s AND active
RETURNING id

-- name: delete_device
DELETE FROM push_devices WHERE id = %(id)s AND user_id = %(user_id)s
RETURNING id

-- name: heartbeat
INSERT INTO scheduler_heartbeats (replica_id, started_at, last_tick, version, host, pid, last_planned)
VALUES (%(replica_id)s, %(started_at)s, coalesce(%(now)s::timestamptz, now()), %(version)s, %(host)s,
        %(pid)s, %(last_planned)s)
ON CONFLICT (replica_id) DO UPDATE
-- a replica id reused by a new process (a StatefulSet pod's name) is that process: its start, version, host, pid
SET last_tick = EXCLUDED.last_tick, last_planned = EXCLUDED.last_planned, stopped_at = NULL,
    started_at = EXCLUDED.started_at, version = EXCLUDED.version, host = EXCLUDED.host, pid = EXCLUDED.pid

-- name: heartbeat_stopped
UPDATE scheduler_heartbeats SET stopped_at = now(), last_tick = now() WHERE replica_id = %(replica_id)s

-- name: list_heartbeats
SELECT replica_id, started_at, last_tick, version, host, pid, last_planned, stopped_at
FROM scheduler_heartbeats
WHERE last_tick >= now() - interval '24 hours'
ORDER BY last_tick DESC

-- name: outbox_gauges
SELECT count(*) AS waiting,
       count(*) FILTER (WHERE next_attempt_at <= now()) AS due,
       min(next_attempt_at) FILTER (WHERE next_attempt_at <= now()) AS oldest_due,
       now() AS db_now
FROM notification_outbox
WHERE status IN ('pending', 'retry')

-- name: status_counts
SELECT kind, status, count(*) AS n
FROM notification_outbox
WHERE scheduled_for >= now() - %(retention)s
GROUP BY kind, status

-- name: oldest_due_by_kind
SELECT kind, min(next_attempt_at) AS oldest_due
FROM notification_outbox
WHERE status IN ('pending', 'retry') AND next_attempt_at <= now()
GROUP BY kind

-- name: user_exists
SELECT id, email, created_at FROM users WHERE id = %(user_id)s AND erased_at IS NULL

-- name: get_prefs
SELECT u.id AS user_id, u.email AS account_email, u.created_at AS user_created_at,
       p.user_id IS NOT NULL AS saved, p.time_zone, p.daily_digest_enabled, p.weekly_summary_enabled,
       p.performance_alerts_enabled, p.email_enabled, p.push_enabled, p.webhook_enabled, p.feed_enabled,
       p.email_address,
       p.quiet_hours_start, p.quiet_hours_end, p.alert_threshold_percent, p.alert_threshold_sigma,
       p.locale, p.opted_in_at, p.updated_at
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id
WHERE u.id = %(user_id)s

-- name: upsert_prefs
INSERT INTO notification_prefs (
    user_id, time_zone, daily_digest_enabled, weekly_summary_enabled, performance_alerts_enabled,
    email_enabled, push_enabled, webhook_enabled, feed_enabled, email_address, quiet_hours_start, quiet_hours_end,
    alert_threshold_percent, alert_threshold_sigma, locale, opted_in_at, created_at, updated_at)
VALUES (
    %(user_id)s, %(time_zone)s, %(daily_digest_enabled)s, %(weekly_summary_enabled)s,
    %(performance_alerts_enabled)s, %(email_enabled)s, %(push_enabled)s, %(webhook_enabled)s,
    %(feed_enabled)s, %(email_address)s,
    %(quiet_hours_start)s, %(quiet_hours_end)s, %(alert_threshold_percent)s, %(alert_threshold_sigma)s,
    %(locale)s, coalesce(%(opted_in_at)s::timestamptz, now()), now(), now())
ON CONFLICT (user_id) DO UPDATE SET
    time_zone = EXCLUDED.time_zone,
    daily_digest_enabled = EXCLUDED.daily_digest_enabled,
    weekly_summary_enabled = EXCLUDED.weekly_summary_enabled,
    performance_alerts_enabled = EXCLUDED.performance_alerts_enabled,
    email_enabled = EXCLUDED.email_enabled,
    push_enabled = EXCLUDED.push_enabled,
    webhook_enabled = EXCLUDED.webhook_enabled,
    feed_enabled = EXCLUDED.feed_enabled,
    email_address = EXCLUDED.email_address,
    quiet_hours_start = EXCLUDED.quiet_hours_start,
    quiet_hours_end = EXCLUDED.quiet_hours_end,
    alert_threshold_percent = EXCLUDED.alert_threshold_percent,
    alert_threshold_sigma = EXCLUDED.alert_threshold_sigma,
    locale = EXCLUDED.locale,
    updated_at = now()
RETURNING opted_in_at, updated_at

-- name: lock_prefs
SELECT pg_advisory_xact_lock(hashtext('stack_cfo.prefs:' || %(user_id)s::text))

-- name: find_device_by_token
SELECT id, user_id, platform, token, token_sha256, display_name, active, created_at, updated_at
FROM push_devices WHERE token_sha256 = %(token_sha256)s
FOR UPDATE

-- name: insert_device
INSERT INTO push_devices (user_id, platform, token, token_sha256, display_name)
VALUES (%(user_id)s, %(platform)s, %(token)s, %(token_sha256)s, %(display_name)s)
ON CONFLICT (token_sha256) DO NOTHING
RETURNING id, user_id, platform, token, token_sha256, display_name, active, created_at, updated_at

-- name: lock_user_devices
-- Registrations of one user take turns (FOR NO KEY UPDATE leaves other tables' foreign keys to the
-- user unblocked), so the cap on their devices holds under concurrent registrations. Count them in
-- the next statement: this one's snapshot predates the lock, and misses a device the previous
-- holder added.
SELECT id FROM users WHERE id = %(user_id)s AND erased_at IS NULL
FOR NO KEY UPDATE

-- name: count_devices
SELECT count(*) AS devices FROM push_devices WHERE user_id = %(user_id)s

-- name: evict_inactive_devices
-- Makes room under the cap: the user's deactivated devices (the push service called their tokens
-- invalid), least recently changed first.
DELETE FROM push_devices WHERE id IN (
    SELECT id FROM push_devices WHERE user_id = %(user_id)s AND NOT active
    ORDER BY updated_at, id LIMIT %(count)s
)
RETURNING id

-- name: list_devices
SELECT id, user_id, platform, token, token_sha256, display_name, active, created_at, updated_at
FROM push_devices WHERE user_id = %(user_id)s AND id > %(after_id)s
ORDER BY id
LIMIT %(limit)s

-- name: refresh_device
UPDATE push_devices
SET platform = %(platform)s, display_name = %(display_name)s, active = true, invalidated_at = NULL,
    invalid_reason = NULL, updated_at = now()
WHERE id = %(id)s
RETURNING id, user_id, platform, token, token_sha256, display_name, active, created_at, updated_at

-- name: list_notifications
-- A row being sent shows no reason (the column keeps the previous attempt's: a claim given back, e.g. at
-- shutdown, returns to 'retry' with it). Where an unsent row goes before a delivery recorded its target: an
-- email row, the user's current address (what the worker sends to; sealed when saved in the preferences, the
-- account's otherwise); a feed row, its feed.
SELECT o.id, o.user_id, o.kind, o.channel, o.status,
       CASE WHEN o.status = 'sending' THEN NULL ELSE o.reason END AS reason,
       o.slot_local, o.title, o.target_id,
       o.target_address, o.scheduled_for, o.sent_at, o.attempts, o.next_attempt_at, o.created_at, o.manual,
       o.idempotency_key, o.degraded_reason, o.receipt_ids, o.locale, o.locale_fallback_from,
       p.user_id IS NOT NULL AS prefs_saved, p.email_address AS prefs_email, u.email AS account_email,
       f.service AS feed_service
FROM notification_outbox o
LEFT JOIN users u ON o.channel = 'email' AND u.id = o.user_id
LEFT JOIN notification_prefs p ON o.channel = 'email' AND p.user_id = o.user_id
LEFT JOIN notification_feeds f ON o.channel = 'feed' AND f.id = o.target_id
WHERE o.user_id = %(user_id)s
  AND (%(kind)s::text IS NULL OR o.kind = %(kind)s::text)
  AND (%(status)s::text IS NULL OR o.status = %(status)s::text)
  AND (%(after_scheduled)s::timestamptz IS NULL
       OR (o.scheduled_for, o.id) < (%(after_scheduled)s::timestamptz, %(after_id)s::bigint))
ORDER BY o.scheduled_for DESC, o.id DESC
LIMIT %(limit)s

-- name: create_run
-- A request id is its principal's (migration 18).
INSERT INTO scheduler_job_runs (id, principal, request_id, request_hash, kind, user_id)
VALUES (%(id)s, %(principal)s, %(request_id)s, %(request_hash)s, %(kind)s, %(user_id)s)
ON CONFLICT (principal, request_id) DO NOTHING
RETURNING id

-- name: get_run_by_request
SELECT id, request_id, request_hash, kind, user_id, state, planned, sent, skipped, failed, skipped_users,
       created_at, finished_at
FROM scheduler_job_runs WHERE principal = %(principal)s AND request_id = %(request_id)s

-- name: get_run
SELECT id, request_id, request_hash, kind, user_id, state, planned, sent, skipped, failed, skipped_users,
       created_at, finished_at
FROM scheduler_job_runs WHERE id = %(id)s

-- name: update_run
UPDATE scheduler_job_runs
SET planned = %(planned)s, sent = %(sent)s, skipped = %(skipped)s, failed = %(failed)s,
    skipped_users = %(skipped_users)s, state = %(state)s, finished_at = CASE WHEN %(state)s = 'done' THEN now() ELSE finished_at END
WHERE id = %(id)s

-- name: run_rows
SELECT id, user_id, channel, status, reason FROM notification_outbox WHERE run_id = %(run_id)s ORDER BY id

-- name: run_skipped_users
-- The users a RunJob considered (everyone, or one) who got no row at all, and why: the kind switched off in
-- their preferences, or no enabled channel with a target.
SELECT u.id AS user_id,
       CASE WHEN NOT CASE %(kind)s
                       WHEN 'digest' THEN coalesce(p.daily_digest_enabled, true)
                       WHEN 'weekly' THEN coalesce(p.weekly_summary_enabled, true)
                       ELSE coalesce(p.performance_alerts_enabled, true)
                     END
            THEN 'kind_disabled' ELSE 'no_channel' END AS reason
FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id
WHERE (%(user_id)s::uuid IS NULL OR u.id = %(user_id)s::uuid)
  AND u.erased_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.run_id = %(run_id)s AND o.user_id = u.id)
ORDER BY u.id

-- name: get_summary
SELECT summary, receipt_id FROM news_summaries WHERE article_id = %(article_id)s

-- name: put_summary
INSERT INTO news_summaries (article_id, summary, model, provider, receipt_id)
VALUES (%(article_id)s, %(summary)s, %(model)s, %(provider)s, %(receipt_id)s)
ON CONFLICT (article_id) DO NOTHING

-- name: news_for_symbols
SELECT id, source, published_at, title, summary, url, symbols
FROM news_articles
WHERE symbols && %(symbols)s::text[] AND published_at >= %(since)s AND published_at < %(until)s
ORDER BY published_at DESC
LIMIT %(limit)s

-- name: store_article
INSERT INTO news_articles (id, source, published_at, title, summary, url, symbols)
VALUES (%(id)s, %(source)s, %(published_at)s, %(title)s, %(summary)s, %(url)s, %(symbols)s)
ON CONFLICT DO NOTHING  -- same id, or the same URL under another id
RETURNING id

-- name: held_symbols
SELECT DISTINCT upper(symbol) AS symbol FROM positions

-- name: locale_of
SELECT locale FROM notification_prefs WHERE user_id = %(user_id)s

-- name: wake_quiet_hours
-- The user's quiet hours or time zone changed: what waits for the old hours to end is due now.
UPDATE notification_outbox
SET next_attempt_at = now(), updated_at = now()
WHERE user_id = %(user_id)s AND status = 'pending' AND reason = 'quiet_hours' AND next_attempt_at > now()
