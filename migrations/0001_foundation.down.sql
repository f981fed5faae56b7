DROP TABLE IF EXISTS idempotency_keys;
DROP TABLE IF EXISTS chat_sessions;
DROP TABLE IF EXISTS users;
