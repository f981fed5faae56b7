-- Webhook endpoints, notification feeds, and the outbox statements of the webhook and feed channels
-- (stack_cfo.store.scheduler.delivery). Owners: user_id for a user's endpoints, service for a service
-- principal's; "IS NOT DISTINCT FROM" matches the NULL of the other column.

-- name: lock_owner
SELECT pg_advisory_xact_lock(hashtext('stack_cfo.webhooks:' || coalesce(%(user_id)s::text, 's:' || %(service)s)))

-- name: next_webhook_endpoint_id
SELECT nextval(pg_get_serial_sequence('webhook_endpoints', 'id')) AS id

-- name: create_webhook_endpoint
INSERT INTO webhook_endpoints (id, user_id, service, url, description, kinds, disabled, secret)
SELECT %(id)s, %(user_id)s::uuid, %(service)s, %(url)s, %(description)s, %(kinds)s::text[], %(disabled)s, %(secret)s
WHERE (SELECT count(*) FROM webhook_endpoints
       WHERE user_id IS NOT DISTINCT FROM %(user_id)s::uuid AND service IS NOT DISTINCT FROM %(service)s)
      < %(limit)s
RETURNING *

-- name: get_webhook_endpoint
SELECT * FROM webhook_endpoints
WHERE id = %(id)s AND user_id IS NOT DISTINCT FROM %(user_id)s::uuid AND service IS NOT DISTINCT FROM %(service)s

-- name: list_webhook_endpoints
SELECT * FROM webhook_endpoints
WHERE user_id IS NOT DISTINCT FROM %(user_id)s::uuid AND service IS NOT DISTINCT FROM %(service)s
  AND id > %(after_id)s
ORDER BY id
LIMIT %(limit)s

-- name: update_webhook_endpoint
UPDATE webhook_endpoints
SET url = coalesce(%(url)s, url),
    description = coalesce(%(description)s, description),
    kinds = coalesce(%(kinds)s::text[], kinds),
    disabled = coalesce(%(disabled)s, disabled),
    updated_at = now()
WHERE id = %(id)s AND user_id IS NOT DISTINCT FROM %(user_id)s::uuid AND service IS NOT DISTINCT FROM %(service)s
RETURNING *

-- name: delete_webhook_endpoint
DELETE FROM webhook_endpoints
WHERE id = %(id)s AND user_id IS NOT DISTINCT FROM %(user_id)s::uuid AND service IS NOT DISTINCT FROM %(service)s
RETURNING id

-- name: rotate_webhook_secret
-- The current secret becomes the previous one (signing until previous_until); an older previous is dropped.
UPDATE webhook_endpoints
SET previous_secret = secret, previous_secret_expires_at = %(previous_until)s, secret = %(secret)s,
    updated_at = now()
WHERE id = %(id)s AND user_id IS NOT DISTINCT FROM %(user_id)s::uuid AND service IS NOT DISTINCT FROM %(service)s
RETURNING *

-- name: endpoints_by_ids
SELECT * FROM webhook_endpoints WHERE id = ANY(%(ids)s::bigint[])

-- name: get_feed
SELECT f.*,
       (SELECT count(*) FROM notification_outbox o
        WHERE o.channel = 'feed' AND o.target_id = f.id AND o.status = 'awaiting_ack' AND o.deadline > now())
         AS unacknowledged
FROM notification_feeds f WHERE f.service = %(service)s

-- name: save_feed
INSERT INTO notification_feeds (service, enabled, kinds)
VALUES (%(service)s, %(enabled)s, %(kinds)s::text[])
ON CONFLICT (service) DO UPDATE SET enabled = EXCLUDED.enabled, kinds = EXCLUDED.kinds, updated_at = now()
RETURNING id

-- name: feeds_by_ids
SELECT id, service FROM notification_feeds WHERE id = ANY(%(ids)s::bigint[])

-- name: lock_feed
-- Held to commit: cursors (feed_seq) of one feed are taken one after another from its counter
-- (notification_feeds.last_seq) and become visible in the order they are taken.
SELECT pg_advisory_xact_lock(hashtext('stack_cfo.feed:' || %(feed_id)s::text))

-- name: publish_feed
-- The row's cursor is the next value of its feed's own counter: the trigger of migration 26 gives it
-- whenever feed_seq is set (the value written here only asks for one; the previous release wrote
-- nextval('notification_feed_seq') and gets the same), so a feed's cursors are 1, 2, 3... whatever
-- other feeds publish. Nothing is taken when the claim no longer holds (no row is updated).
UPDATE notification_outbox
SET status = 'awaiting_ack', feed_seq = 0, content = %(content)s,
    title = %(title)s, target_address = %(target)s, reason = NULL, last_error = NULL,
    degraded_reason = %(degraded_reason)s, receipt_ids = %(receipt_ids)s::uuid[],
    locale = %(locale)s, locale_fallback_from = %(locale_fallback_from)s,
    deadline = coalesce(%(now)s::timestamptz, now()) + %(grace)s,
    next_attempt_at = NULL, locked_by = NULL, locked_until = NULL,
    updated_at = coalesce(%(now)s::timestamptz, now())
WHERE id = %(id)s AND locked_by = %(worker)s AND attempts = %(attempts)s AND status = 'sending'
RETURNING id, run_id, feed_seq

-- name: notify_feed
SELECT pg_notify('stack_cfo_feed', %(feed_id)s::text)

-- name: feed_items
SELECT o.id, o.user_id, o.kind, o.channel, o.status, o.reason, o.slot_local, o.title, o.target_id,
       o.target_address, o.scheduled_for, o.sent_at, o.attempts, o.next_attempt_at, o.created_at, o.manual,
       o.idempotency_key, o.feed_seq, o.content, o.degraded_reason, o.receipt_ids, o.locale,
       o.locale_fallback_from
FROM notification_outbox o
WHERE o.channel = 'feed' AND o.target_id = %(feed_id)s AND o.status = 'awaiting_ack'
  AND o.feed_seq > %(after_seq)s AND o.deadline > now()
ORDER BY o.feed_seq
LIMIT %(limit)s

-- name: feed_last_seq
-- The highest cursor the feed ever handed out (0 when none), its counter: deleting rows (erasure,
-- retention) never lowers it. A resume cursor above it was not this feed's.
SELECT coalesce((SELECT last_seq FROM notification_feeds WHERE id = %(feed_id)s), 0) AS last

-- name: acknowledge_feed
UPDATE notification_outbox
SET status = 'sent', sent_at = now(), provider_id = 'acknowledged', updated_at = now()
WHERE (id, user_id) IN (SELECT * FROM unnest(%(ids)s::bigint[], %(users)s::uuid[]))
  AND channel = 'feed' AND target_id = %(feed_id)s AND status = 'awaiting_ack' AND deadline > now()
RETURNING id

-- name: expire_feed
-- Feed rows unacknowledged past their deadline (publication + ack grace) leave the feed.
WITH old AS (
    SELECT id FROM notification_outbox
    WHERE channel = 'feed' AND status = 'awaiting_ack' AND deadline <= coalesce(%(now)s::timestamptz, now())
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET status = 'expired', reason = 'feed_unacknowledged', updated_at = coalesce(%(now)s::timestamptz, now())
FROM old WHERE o.id = old.id
RETURNING o.id
