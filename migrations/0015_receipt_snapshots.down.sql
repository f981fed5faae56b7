-- Receipts that point at a shared snapshot get their copy back before the table goes. A sealed
-- snapshot is bound to its hash, not to a receipt, so the older code could not open a sealed copy:
-- with encryption at rest on, this downgrade refuses rather than leave unreadable receipts.
DO $guard$
BEGIN
    IF EXISTS (SELECT 1 FROM ai_receipt_snapshots WHERE data_snapshot LIKE 'sc1:%') THEN
        RAISE EXCEPTION 'ai_receipt_snapshots holds sealed snapshots; migration 15 cannot be reverted';
    END IF;
END
$guard$;
UPDATE ai_receipts r SET data_snapshot = s.data_snapshot, snapshot_shared = false
FROM ai_receipt_snapshots s
WHERE r.snapshot_shared AND s.user_id = r.user_id AND s.data_sha256 = r.data_sha256;
DROP INDEX IF EXISTS idx_ai_receipts_shared_snapshot;
DROP INDEX IF EXISTS idx_ai_receipt_snapshots_created_at;
ALTER TABLE ai_receipts DROP COLUMN IF EXISTS snapshot_shared;
DROP TABLE IF EXISTS ai_receipt_snapshots;
