-- Sealed holdings cannot go back to the clear columns without the keys: the NOT NULL restores
-- fail while sealed rows exist (unseal or delete them first).
ALTER TABLE cash_flows DROP CONSTRAINT cash_flows_amount_present, DROP COLUMN sealed_amount,
    ALTER COLUMN amount SET NOT NULL;
ALTER TABLE portfolio_transactions DROP COLUMN sealed;
ALTER TABLE portfolios DROP COLUMN sealed_cash, ALTER COLUMN cash_balance SET NOT NULL;
ALTER TABLE cash_balance_history DROP CONSTRAINT cash_balance_history_cash_present, DROP COLUMN sealed_cash,
    ALTER COLUMN cash_balance SET NOT NULL;
ALTER TABLE holdings_history DROP CONSTRAINT holdings_history_amount_present, DROP COLUMN sealed,
    ALTER COLUMN quantity SET NOT NULL;
ALTER TABLE positions DROP CONSTRAINT positions_amount_present, DROP COLUMN sealed,
    ALTER COLUMN quantity SET NOT NULL;
-- Sealed values stay sealed (they are text); only the push token digest goes back to md5, which
-- needs the plaintext: sealed tokens make this fail, as they should (unseal them first).
DROP TRIGGER IF EXISTS trg_push_devices_token_digest ON push_devices;
DROP FUNCTION IF EXISTS push_devices_token_digest();
ALTER TABLE push_devices DROP CONSTRAINT push_devices_token_check;
ALTER TABLE push_devices ADD CONSTRAINT push_devices_token_check CHECK (length(token) BETWEEN 1 AND 4096);
ALTER TABLE push_devices ADD COLUMN token_md5 TEXT GENERATED ALWAYS AS (md5(token)) STORED;
ALTER TABLE push_devices ADD CONSTRAINT push_devices_token_unique UNIQUE (token_md5);
ALTER TABLE push_devices DROP CONSTRAINT push_devices_token_sha256_unique;
ALTER TABLE push_devices DROP COLUMN token_sha256;
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_url_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url_check CHECK (length(url) BETWEEN 1 AND 2048);
