-- Retention (docs/capacity.md): the scheduler deletes, in batches, finished outbox rows and RunJob
-- runs after scheduler.outbox_retention, idempotency keys after scheduler.idempotency_retention and
-- intraday quotes after scheduler.quote_retention, and (when configured) AI receipts after
-- scheduler.receipt_retention. These indexes let each batch find its oldest
-- rows without scanning the table.
CREATE INDEX idx_notification_outbox_finished ON notification_outbox(updated_at)
    WHERE status IN ('sent', 'dead', 'missed', 'skipped', 'expired');
CREATE INDEX idx_scheduler_job_runs_finished ON scheduler_job_runs(finished_at) WHERE state = 'done';
-- Quotes arrive in time order: a BRIN index on the instant is a few pages for any table size.
CREATE INDEX idx_price_quotes_quoted_at ON price_quotes USING brin(quoted_at);
-- Deleting a receipt sets chat_messages.receipt_id and news_summaries.receipt_id null (ON DELETE SET NULL):
-- without these indexes each deleted receipt would scan those tables.
CREATE INDEX idx_chat_messages_receipt ON chat_messages(receipt_id) WHERE receipt_id IS NOT NULL;
CREATE INDEX idx_news_summaries_receipt ON news_summaries(receipt_id) WHERE receipt_id IS NOT NULL;
CREATE INDEX idx_ai_receipts_created_at ON ai_receipts USING brin(created_at);
