-- A retry of ArchiveSession paid 0G Storage again when the storage node had not yet picked up the
-- first attempt's Flow Submit event: the client knew of a submission only from zgs_getFileInfo,
-- which answers null until the node has synced that event (issue after migration 0023).
--
-- The 0G client now writes the Flow.submit transaction it signed for the kept transcript here
-- BEFORE it broadcasts it; a retry whose node does not know the file yet looks for that
-- transaction (its receipt gives the txSeq; a pending one is waited for; a lost one is sent again
-- as it is: the same hash and nonce, never a second payment). The columns belong to the kept
-- `sealed` bytes: a new transcript (keep_archive_upload) clears them, and they go with the row.
-- submit_tx_hash: '0x' + 64 hex (keccak of submit_raw); submit_nonce: the wallet's nonce it uses;
-- submit_raw: the signed transaction (public once broadcast: the file's root, the fee, the wallet).
ALTER TABLE chat_archive_uploads
    ADD COLUMN submit_tx_hash TEXT,
    ADD COLUMN submit_nonce   BIGINT,
    ADD COLUMN submit_raw     BYTEA,
    ADD COLUMN submitted_at   TIMESTAMPTZ,
    ADD CONSTRAINT chat_archive_uploads_submission_whole CHECK (
        (submit_tx_hash IS NULL) = (submit_nonce IS NULL)
        AND (submit_tx_hash IS NULL) = (submit_raw IS NULL)
        AND (submit_tx_hash IS NULL) = (submitted_at IS NULL)
    );
