-- The older code seals and uploads a new transcript at every ArchiveSession attempt.
DROP TABLE IF EXISTS chat_archive_uploads;
