-- Receipts of AI-written texts (chat answers, narratives, digest paragraphs, weekly summaries, news
-- summaries): who wrote them, under which signature, from exactly which data, and how each figure compares
-- with that data (the grounding check). user_id is NULL for shared texts (news summaries).
CREATE TABLE ai_receipts (
    id                  UUID PRIMARY KEY,
    user_id             UUID REFERENCES users(id) ON DELETE CASCADE,
    surface             TEXT NOT NULL,
    subject             TEXT NOT NULL DEFAULT '',
    provider            TEXT NOT NULL DEFAULT '',
    model               TEXT NOT NULL DEFAULT '',
    response_id         TEXT NOT NULL DEFAULT '',
    verification        TEXT NOT NULL DEFAULT '',
    tee_signer          TEXT NOT NULL DEFAULT '',
    signature           TEXT NOT NULL DEFAULT '',
    signed_text         TEXT NOT NULL DEFAULT '',
    router_tee_verified BOOLEAN,
    prompt_sha256       TEXT NOT NULL DEFAULT '',
    data_sha256         TEXT NOT NULL DEFAULT '',
    data_snapshot       TEXT NOT NULL DEFAULT '',
    data_as_of          TIMESTAMPTZ,
    text                TEXT NOT NULL DEFAULT '',
    text_sha256         TEXT NOT NULL DEFAULT '',
    grounding           JSONB NOT NULL DEFAULT '{}'::jsonb,
    extra_facts         JSONB NOT NULL DEFAULT '{}'::jsonb,
    prompt_tokens       INTEGER NOT NULL DEFAULT 0,
    completion_tokens   INTEGER NOT NULL DEFAULT 0,
    fee_neuron          NUMERIC(78, 0),
    degraded_reason     TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_ai_receipts_user ON ai_receipts(user_id, created_at);

-- Assistant answers: the grounding of the stored content (NULL = stored before the check existed, read as
-- NOT_CHECKED) and the receipt of the AI text behind it.
ALTER TABLE chat_messages ADD COLUMN grounding JSONB;
ALTER TABLE chat_messages ADD COLUMN receipt_id UUID REFERENCES ai_receipts(id) ON DELETE SET NULL;

-- Shared news summaries: the receipt of the AI summary that is kept.
ALTER TABLE news_summaries ADD COLUMN receipt_id UUID REFERENCES ai_receipts(id) ON DELETE SET NULL;

-- Notifications: why their AI text is not the AI's, and the receipts of the AI texts they carry.
ALTER TABLE notification_outbox ADD COLUMN degraded_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE notification_outbox ADD COLUMN receipt_ids UUID[] NOT NULL DEFAULT '{}';
