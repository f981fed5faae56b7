-- Receipts' data snapshots stored once per user and content (docs/capacity.md: the snapshots were most
-- of the database's growth). A chat session gives the AI the same data on every turn until its
-- context is refreshed, so its turns' receipts now point at one row instead of each carrying a copy.
-- A receipt with snapshot_shared reads its snapshot here, by (user_id, data_sha256: the SHA-256 of the
-- snapshot's text); older receipts, and receipts of shared texts (no user), keep theirs inline.
-- last_used_at moves whenever a receipt points at the row again: retention deletes a row only when
-- no receipt points at it and none has for the receipts' window.
CREATE TABLE ai_receipt_snapshots (
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data_sha256   TEXT NOT NULL,
    data_snapshot TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, data_sha256)
);
ALTER TABLE ai_receipts ADD COLUMN snapshot_shared BOOLEAN NOT NULL DEFAULT false;
-- Retention's check that no receipt points at a snapshot row any more, and its oldest rows first.
CREATE INDEX idx_ai_receipts_shared_snapshot ON ai_receipts(user_id, data_sha256) WHERE snapshot_shared;
CREATE INDEX idx_ai_receipt_snapshots_created_at ON ai_receipt_snapshots USING brin(created_at);

-- Row-level security as for every user table (migration 0011): the acting user's rows for the
-- service role, every row for the system role and for the owner in the system scope.
ALTER TABLE ai_receipt_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_receipt_snapshots FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_user ON ai_receipt_snapshots TO stack_cfo_app
    USING (user_id = stack_cfo_acting_user()) WITH CHECK (user_id = stack_cfo_acting_user());
CREATE POLICY rls_system ON ai_receipt_snapshots TO stack_cfo_system USING (true) WITH CHECK (true);
DO $policy$
BEGIN
    EXECUTE format('CREATE POLICY rls_maintenance ON ai_receipt_snapshots TO %I '
                   'USING (stack_cfo_system_scope()) WITH CHECK (stack_cfo_system_scope())',
                   (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'ai_receipt_snapshots'::regclass));
END
$policy$;
