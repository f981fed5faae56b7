-- Languages (issue 16 item 5): the user's BCP 47 locale in the notification preferences, and on each
-- notification the locale its content was written in, with the tag asked for when it fell back to English.
ALTER TABLE notification_prefs ADD COLUMN IF NOT EXISTS locale text NOT NULL DEFAULT ''
    CHECK (length(locale) <= 64);
COMMENT ON COLUMN notification_prefs.locale IS
    'BCP 47 tag as the user set it (canonical case); empty = notifications.default_locale';

ALTER TABLE notification_outbox ADD COLUMN IF NOT EXISTS locale text;
ALTER TABLE notification_outbox ADD COLUMN IF NOT EXISTS locale_fallback_from text;
COMMENT ON COLUMN notification_outbox.locale IS 'Locale the content was rendered in (set when sent)';
COMMENT ON COLUMN notification_outbox.locale_fallback_from IS
    'The user''s unsupported locale when the content fell back to English';
