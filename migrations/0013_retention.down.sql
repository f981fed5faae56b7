DROP INDEX IF EXISTS idx_ai_receipts_created_at;
DROP INDEX IF EXISTS idx_news_summaries_receipt;
DROP INDEX IF EXISTS idx_chat_messages_receipt;
DROP INDEX IF EXISTS idx_price_quotes_quoted_at;
DROP INDEX IF EXISTS idx_scheduler_job_runs_finished;
DROP INDEX IF EXISTS idx_notification_outbox_finished;
