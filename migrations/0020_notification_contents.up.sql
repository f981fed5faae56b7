-- A notification's content is rendered once (docs/api.md, "Delivering notifications into your own
-- pipeline"; scheduler.proto NotificationContent): the first rendering of a user's digest, weekly
-- summary or alert is kept here, and every later render of the same key - the other channels' rows, a
-- retry in another process, after a restart or after the in-memory cache expired - reads it back
-- instead of writing (and paying for) new AI text with a new receipt.
-- The key is what the rows sharing one rendering have in common: kind, user, period, the locale the
-- content is written in, and the occasion (the RunJob run's id, or the planned time).
-- content: the rendering as JSON, sealed under the user's data key (encryption at rest), bound to its
-- key. Rows go with the user (erasure follows the foreign key) and with retention (after the
-- outbox's window, once no row of that user, kind and period can still be retried).
CREATE TABLE notification_contents (
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    period      TEXT NOT NULL,
    locale      TEXT NOT NULL,
    occasion    TEXT NOT NULL,
    content     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, period, locale, occasion)
);
-- Retention finds the oldest rows first (rows arrive in time order).
CREATE INDEX idx_notification_contents_created_at ON notification_contents USING brin(created_at);

-- Row-level security as for every user table (migration 0011): the acting user's rows for the
-- service role, every row for the system role and for the owner in the system scope.
ALTER TABLE notification_contents ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_contents FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_user ON notification_contents TO stack_cfo_app
    USING (user_id = stack_cfo_acting_user()) WITH CHECK (user_id = stack_cfo_acting_user());
CREATE POLICY rls_system ON notification_contents TO stack_cfo_system USING (true) WITH CHECK (true);
DO $policy$
BEGIN
    EXECUTE format('CREATE POLICY rls_maintenance ON notification_contents TO %I '
                   'USING (stack_cfo_system_scope()) WITH CHECK (stack_cfo_system_scope())',
                   (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'notification_contents'::regclass));
END
$policy$;
