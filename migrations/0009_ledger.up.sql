-- The transactions ledger, daily exchange rates and per-user portfolio settings (issue 13).
-- User tables carry `user_id uuid REFERENCES users(id)` so erasure (found from foreign keys) and
-- row-level security cover them.

-- Every write of a transaction takes a new revision: per group of transactions, (count, sum, max)
-- of revisions changes whenever the group changes, so a derived group is reused only while unchanged.
CREATE SEQUENCE portfolio_transaction_revisions;

CREATE TABLE portfolio_transactions (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Order of recording (ties on one trade date are replayed in this order).
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    revision     BIGINT NOT NULL DEFAULT nextval('portfolio_transaction_revisions'),
    client_id    TEXT,
    txn_type     TEXT NOT NULL CHECK (txn_type IN ('BUY', 'SELL', 'DIVIDEND', 'INTEREST', 'FEE', 'TAX', 'SPLIT',
                                                   'DEPOSIT', 'WITHDRAWAL', 'TRANSFER_IN', 'TRANSFER_OUT')),
    trade_date   DATE NOT NULL CHECK (trade_date >= DATE '1970-01-01'),
    -- The book it belongs to: the symbol for trades, dividends and splits, '' for cash transactions.
    book         TEXT NOT NULL,
    symbol       TEXT NOT NULL DEFAULT '',
    quantity     NUMERIC CHECK (quantity > 0),
    price        NUMERIC CHECK (price >= 0),
    amount       NUMERIC CHECK (amount > 0),
    currency     TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    fees         NUMERIC NOT NULL DEFAULT 0 CHECK (fees >= 0),
    split_ratio  NUMERIC CHECK (split_ratio > 0),
    note         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, client_id)
);
CREATE INDEX idx_portfolio_transactions_user_date ON portfolio_transactions (user_id, trade_date, seq);
CREATE INDEX idx_portfolio_transactions_user_book ON portfolio_transactions (user_id, book);

-- Daily exchange rates: 1 base_currency = rate quote_currency. Global market data (not per user).
CREATE TABLE exchange_rates (
    base_currency   TEXT NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    quote_currency  TEXT NOT NULL CHECK (quote_currency ~ '^[A-Z]{3}$'),
    rate_date       DATE NOT NULL,
    rate            NUMERIC NOT NULL CHECK (rate > 0),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (base_currency, quote_currency, rate_date),
    CHECK (base_currency <> quote_currency)
);

-- Per-user portfolio settings; a NULL column means "the configured default".
CREATE TABLE portfolio_settings (
    user_id                    UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    benchmark_symbol           TEXT,
    cost_basis_method          TEXT CHECK (cost_basis_method IN ('AVERAGE_COST', 'FIFO')),
    position_weight            DOUBLE PRECISION,
    position_weight_critical   DOUBLE PRECISION,
    sector_weight              DOUBLE PRECISION,
    drawdown_warning           DOUBLE PRECISION,
    drawdown_critical          DOUBLE PRECISION,
    basket_lag                 DOUBLE PRECISION,
    position_lag               DOUBLE PRECISION,
    idle_cash                  DOUBLE PRECISION,
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now()
);
