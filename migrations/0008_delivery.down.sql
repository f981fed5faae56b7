DROP INDEX IF EXISTS idx_notification_outbox_feed;
DROP SEQUENCE IF EXISTS notification_feed_seq;
DELETE FROM notification_outbox WHERE channel IN ('webhook', 'feed') OR status = 'awaiting_ack';
ALTER TABLE notification_outbox DROP COLUMN IF EXISTS feed_seq, DROP COLUMN IF EXISTS content,
    DROP COLUMN IF EXISTS manual;
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_status_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'retry', 'dead', 'missed', 'skipped', 'expired'));
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_channel_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_channel_check
    CHECK (channel IN ('email', 'push'));
ALTER TABLE notification_prefs DROP COLUMN IF EXISTS webhook_enabled, DROP COLUMN IF EXISTS feed_enabled;
DROP TABLE IF EXISTS notification_feeds;
DROP TABLE IF EXISTS webhook_endpoints;
