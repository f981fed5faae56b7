-- Encryption at rest (issue 12 item 5). The sealed columns keep their types: a sealed value is
-- text ("sc1:" + base64url, see stack_cfo/crypto/fields.py) and rows written before this change
-- keep their plaintext, which the repositories read as it is (the keys live outside the database,
-- so SQL cannot seal them).
--
-- Push tokens: uniqueness and look-ups used md5(token), a column generated from the plaintext,
-- which cannot be computed from a sealed token. The application now writes the token's SHA-256
-- (a digest of a random push-service token reveals nothing); existing rows get theirs here.
ALTER TABLE push_devices ADD COLUMN token_sha256 TEXT;
UPDATE push_devices SET token_sha256 = encode(sha256(convert_to(token, 'UTF8')), 'hex');
ALTER TABLE push_devices ALTER COLUMN token_sha256 SET NOT NULL;
ALTER TABLE push_devices ADD CONSTRAINT push_devices_token_sha256_unique UNIQUE (token_sha256);
ALTER TABLE push_devices DROP COLUMN token_md5;
-- A row inserted with a plaintext token and no digest (older code, scripts) gets its digest here.
CREATE FUNCTION push_devices_token_digest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.token_sha256 IS NULL THEN
        NEW.token_sha256 := encode(sha256(convert_to(NEW.token, 'UTF8')), 'hex');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_push_devices_token_digest BEFORE INSERT ON push_devices
    FOR EACH ROW EXECUTE FUNCTION push_devices_token_digest();
-- A sealed token is longer than the token (base64 of token + 32 bytes).
ALTER TABLE push_devices DROP CONSTRAINT push_devices_token_check;
ALTER TABLE push_devices ADD CONSTRAINT push_devices_token_check CHECK (length(token) BETWEEN 1 AND 6000);

-- A user's webhook URL is sealed (its secret and description too) and longer than the URL.
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_url_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url_check CHECK (length(url) BETWEEN 1 AND 4000);

-- Holdings: a position's quantity, average cost, sector, basket and tags, and a snapshot's cash,
-- go sealed into one text column (symbol, currency and asset class stay clear: news matching and
-- price checks select by them). The clear columns are NULL in sealed rows; rows from before keep
-- them (and a NULL `sealed`).
ALTER TABLE positions ADD COLUMN sealed TEXT, ALTER COLUMN quantity DROP NOT NULL,
    ADD CONSTRAINT positions_amount_present CHECK (quantity IS NOT NULL OR sealed IS NOT NULL);
ALTER TABLE holdings_history ADD COLUMN sealed TEXT, ALTER COLUMN quantity DROP NOT NULL,
    ADD CONSTRAINT holdings_history_amount_present CHECK (quantity IS NOT NULL OR sealed IS NOT NULL);
ALTER TABLE cash_balance_history ADD COLUMN sealed_cash TEXT, ALTER COLUMN cash_balance DROP NOT NULL,
    ADD CONSTRAINT cash_balance_history_cash_present CHECK (cash_balance IS NOT NULL OR sealed_cash IS NOT NULL);
ALTER TABLE portfolios ADD COLUMN sealed_cash TEXT, ALTER COLUMN cash_balance DROP NOT NULL;

-- The ledger: a transaction's quantity, price, amount, fees, split ratio and note go sealed into one
-- text column (type, trade date, book, symbol, currency and client id stay clear: the ledger is
-- ordered, filtered and de-duplicated by them). Sealed rows keep fees = 0 and note = '' in the clear
-- columns (NOT NULL); rows from before keep their values and a NULL `sealed`.
ALTER TABLE portfolio_transactions ADD COLUMN sealed TEXT;

-- Cash flows of snapshot syncs: the amount sealed (type, dates, currency and the client's id stay
-- clear: de-duplication and ordering).
ALTER TABLE cash_flows ADD COLUMN sealed_amount TEXT, ALTER COLUMN amount DROP NOT NULL,
    ADD CONSTRAINT cash_flows_amount_present CHECK (amount IS NOT NULL OR sealed_amount IS NOT NULL);
