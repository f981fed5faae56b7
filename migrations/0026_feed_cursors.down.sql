-- Back to migration 25: one sequence for every feed's cursors, set above every cursor any feed handed
-- out, so each feed's cursors keep increasing.
DROP TRIGGER IF EXISTS notification_feed_cursor ON notification_outbox;
DROP FUNCTION IF EXISTS notification_feed_cursor();
SELECT setval('notification_feed_seq', last, true)
FROM (SELECT greatest(
          (SELECT max(last_seq) FROM notification_feeds),
          (SELECT max(feed_seq) FROM notification_outbox WHERE channel = 'feed')) AS last) m
WHERE last > 0;
ALTER TABLE notification_feeds DROP COLUMN IF EXISTS last_seq;
