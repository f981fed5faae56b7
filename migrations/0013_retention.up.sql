-- Retention (docs/capacity.md): the scheduler deletes, in batches, finished outbox rows and RunJob
-- runs after scheduler.outbox_retention, idempotency keys after scheduler.idempotency_retention and
-- intraday quotes after scheduler.quote_retention. These indexes let each batch find its oldest
-- rows without scanning the table.
CREATE INDEX idx_notification_outbox_finished ON notification_outbox(updated_at)
    WHERE status IN ('sent', 'dead', 'missed', 'skipped', 'expired');
CREATE INDEX idx_scheduler_job_runs_finished ON scheduler_job_runs(finished_at) WHERE state = 'done';
-- Quotes arrive in time order: a BRIN index on the instant is a few pages for any table size.
CREATE INDEX idx_price_quotes_quoted_at ON price_quotes USING brin(quoted_at);
