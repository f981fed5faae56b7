ALTER TABLE notification_outbox DROP COLUMN IF EXISTS locale_fallback_from;
ALTER TABLE notification_outbox DROP COLUMN IF EXISTS locale;
ALTER TABLE notification_prefs DROP COLUMN IF EXISTS locale;
