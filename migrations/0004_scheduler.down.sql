DROP TABLE IF EXISTS news_summaries;
DROP TABLE IF EXISTS scheduler_state;
DROP TABLE IF EXISTS scheduler_heartbeats;
DROP TABLE IF EXISTS notification_outbox;
DROP TABLE IF EXISTS scheduler_job_runs;
DROP TABLE IF EXISTS push_devices;
DROP TABLE IF EXISTS notification_prefs;
