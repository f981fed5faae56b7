ALTER TABLE notification_outbox DROP COLUMN IF EXISTS receipt_ids;
ALTER TABLE notification_outbox DROP COLUMN IF EXISTS degraded_reason;
ALTER TABLE news_summaries DROP COLUMN IF EXISTS receipt_id;
ALTER TABLE chat_messages DROP COLUMN IF EXISTS receipt_id;
ALTER TABLE chat_messages DROP COLUMN IF EXISTS grounding;
DROP TABLE IF EXISTS ai_receipts;
