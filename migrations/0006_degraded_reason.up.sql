-- Why an assistant answer is degraded, offline or incomplete (the contract's degraded_reason code:
-- COMPUTE_BALANCE_INSUFFICIENT, COMPUTE_BREAKER_OPEN, ...); '' for user messages and normal answers.
-- Stored with the answer so a replayed request_id and GetSession report the same reason.
ALTER TABLE chat_messages ADD COLUMN degraded_reason TEXT NOT NULL DEFAULT '';
