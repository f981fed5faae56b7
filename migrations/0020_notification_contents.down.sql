-- The older code renders per process again (its in-memory cache only).
DROP TABLE IF EXISTS notification_contents;
