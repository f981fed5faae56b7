ALTER TABLE users DROP COLUMN IF EXISTS erased_at;
DROP TABLE IF EXISTS archive_data_keys;
