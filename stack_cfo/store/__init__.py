"""PostgreSQL persistence: the pool, error mapping, SQL files and migrations."""
