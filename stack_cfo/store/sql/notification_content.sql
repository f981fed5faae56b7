-- Renderings of notification content, kept so a notification is rendered once (migration 0020).

-- name: get_rendering
SELECT content FROM notification_contents
WHERE user_id = %(user_id)s AND kind = %(kind)s AND period = %(period)s
  AND locale = %(locale)s AND occasion = %(occasion)s;

-- name: put_rendering
-- The first rendering of a key wins; a concurrent renderer reads the winner back (get_rendering).
INSERT INTO notification_contents (user_id, kind, period, locale, occasion, content)
VALUES (%(user_id)s, %(kind)s, %(period)s, %(locale)s, %(occasion)s, %(content)s)
ON CONFLICT (user_id, kind, period, locale, occasion) DO NOTHING
RETURNING content;

-- name: alerts_given
-- The performance alerts a user was given on one market day ("day": the common prefix of its periods,
-- "XNYS-2026-12-07T"), the asking occasion's own rendering left out: each rendering of the day with a
-- row of its period sent, on a feed, or still on its way (pending, retry, sending). A rendering all of
-- whose rows were skipped, expired or died reached no one and does not count; an alert dropped in quiet
-- hours was never rendered. "since": no row of the day was scheduled before it (keeps the outbox probe
-- on idx_notification_outbox_user). Few rows: one user's alerts of one day, by the primary key's prefix.
SELECT c.period, c.locale, c.occasion, c.content
FROM notification_contents c
WHERE c.user_id = %(user_id)s AND c.kind = 'alert' AND starts_with(c.period, %(day)s)
  AND NOT (c.period = %(period)s AND c.occasion = %(occasion)s)
  AND EXISTS (
      SELECT 1 FROM notification_outbox o
      WHERE o.user_id = c.user_id AND o.scheduled_for >= %(since)s
        AND o.kind = 'alert' AND o.slot_local = c.period
        AND o.status IN ('pending', 'retry', 'sending', 'sent', 'awaiting_ack'))
ORDER BY c.created_at, c.period, c.occasion;
