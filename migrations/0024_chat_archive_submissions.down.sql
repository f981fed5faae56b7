-- The older code knows a submission only from the storage node (zgs_getFileInfo).
ALTER TABLE chat_archive_uploads
    DROP CONSTRAINT IF EXISTS chat_archive_uploads_submission_whole,
    DROP COLUMN IF EXISTS submit_tx_hash,
    DROP COLUMN IF EXISTS submit_nonce,
    DROP COLUMN IF EXISTS submit_raw,
    DROP COLUMN IF EXISTS submitted_at;
