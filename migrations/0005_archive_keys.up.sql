-- Per-user archive data keys (envelope encryption). Destroying a user's keys erases every archive
-- of theirs, including copies on 0G Storage, which cannot delete. Rows stay after destruction
-- (wrapped_dek NULL) so a read can tell "erased" from "never existed".
CREATE TABLE archive_data_keys (
    user_id      UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version      INTEGER     NOT NULL CHECK (version > 0),
    kek_id       TEXT        NOT NULL,
    wrapped_dek  BYTEA,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    destroyed_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, version),
    CHECK ((wrapped_dek IS NULL) = (destroyed_at IS NOT NULL))
);
-- At most one live key per user: a race to create one has a single winner.
CREATE UNIQUE INDEX archive_data_keys_live ON archive_data_keys (user_id) WHERE destroyed_at IS NULL;

-- Erasure leaves a tombstone: the user row stays (so destroyed keys stay visible), their data goes.
ALTER TABLE users ADD COLUMN erased_at TIMESTAMPTZ;
