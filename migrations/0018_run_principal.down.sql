-- Back to one request id space for every caller (fails while two principals' runs share an id:
-- nothing is dropped silently).
DROP INDEX IF EXISTS idx_scheduler_job_runs_request;
ALTER TABLE scheduler_job_runs ADD CONSTRAINT scheduler_job_runs_request_id_key UNIQUE (request_id);
ALTER TABLE scheduler_job_runs DROP COLUMN IF EXISTS skipped_users;
ALTER TABLE scheduler_job_runs DROP COLUMN IF EXISTS principal;
