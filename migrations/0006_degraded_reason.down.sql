ALTER TABLE chat_messages DROP COLUMN IF EXISTS degraded_reason;
