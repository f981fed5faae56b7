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
