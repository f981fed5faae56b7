-- Back to migration 26: a SPLIT's currency is not known to have been sent or not (every one kept).
ALTER TABLE portfolio_transactions DROP COLUMN IF EXISTS currency_given;
