-- Delivery where the app already is (issue 16): signed webhooks, a notification feed for backends,
-- native APNs and manual runs with keys of their own.
--
-- webhook_endpoints: owned by a user (that user's notifications) or by a service principal (every user's
-- notifications). Secrets are HMAC keys ("whsec_" + base64), so they are stored as such: a symmetric
-- signing key cannot be hashed. During a rotation the previous secret signs too, until it expires.
CREATE TABLE webhook_endpoints (
    id                           BIGSERIAL PRIMARY KEY,
    user_id                      UUID REFERENCES users(id) ON DELETE CASCADE,
    service                      TEXT,
    url                          TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    description                  TEXT NOT NULL DEFAULT '',
    kinds                        TEXT[] NOT NULL DEFAULT '{}',      -- empty: every kind
    disabled                     BOOLEAN NOT NULL DEFAULT false,
    secret                       TEXT NOT NULL,
    previous_secret              TEXT,
    previous_secret_expires_at   TIMESTAMPTZ,
    created_at                   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoints_one_owner CHECK ((user_id IS NULL) <> (service IS NULL))
);
CREATE INDEX idx_webhook_endpoints_user ON webhook_endpoints(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX idx_webhook_endpoints_service ON webhook_endpoints(service) WHERE service IS NOT NULL;

-- One feed per service principal (the singleton services/{service}/notificationFeed).
CREATE TABLE notification_feeds (
    id          BIGSERIAL PRIMARY KEY,
    service     TEXT NOT NULL UNIQUE,
    enabled     BOOLEAN NOT NULL DEFAULT false,
    kinds       TEXT[] NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE notification_prefs
    ADD COLUMN webhook_enabled BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN feed_enabled BOOLEAN NOT NULL DEFAULT true;

-- channel 'webhook' (target_id = webhook_endpoints.id) and 'feed' (target_id = notification_feeds.id);
-- status 'awaiting_ack': published on a feed, not yet acknowledged. feed_seq orders a feed: values are taken
-- under a per-feed advisory lock held to commit, so they become visible in increasing order. content is the
-- rendered document a feed streams. manual marks RunJob rows (their key has "~m{run}" after the period).
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_channel_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_channel_check
    CHECK (channel IN ('email', 'push', 'webhook', 'feed'));
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_status_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'retry', 'dead', 'missed', 'skipped', 'expired', 'awaiting_ack'));
ALTER TABLE notification_outbox
    ADD COLUMN feed_seq BIGINT,
    ADD COLUMN content JSONB,
    ADD COLUMN manual BOOLEAN NOT NULL DEFAULT false;
CREATE SEQUENCE notification_feed_seq;
CREATE INDEX idx_notification_outbox_feed ON notification_outbox(target_id, feed_seq)
    WHERE channel = 'feed' AND status = 'awaiting_ack';
