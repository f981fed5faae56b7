-- RunJob request ids belong to the principal that sent them (AIP-155 keys are per caller): two
-- services running jobs with the same id no longer share, replay or block each other's run. Runs
-- stored before keep principal '' (their retries after the upgrade start a new run).
-- skipped_users: RunJob's count of users who got nothing, kept so a retry's DONE reports it too.
ALTER TABLE scheduler_job_runs ADD COLUMN principal TEXT NOT NULL DEFAULT '';
ALTER TABLE scheduler_job_runs ADD COLUMN skipped_users INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scheduler_job_runs DROP CONSTRAINT scheduler_job_runs_request_id_key;
CREATE UNIQUE INDEX idx_scheduler_job_runs_request ON scheduler_job_runs(principal, request_id);
