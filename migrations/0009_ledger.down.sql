DROP TABLE IF EXISTS portfolio_settings;
DROP TABLE IF EXISTS exchange_rates;
DROP TABLE IF EXISTS portfolio_transactions;
DROP SEQUENCE IF EXISTS portfolio_transaction_revisions;
