-- Portfolio analytics: current holdings, their history, cash, external cash flows, market prices and news.
-- Money and quantities are NUMERIC (never rounded on the way in); instants are timestamptz (UTC);
-- calendar days (trading days, effective dates) are DATE in the exchange calendar (America/New_York).

-- One portfolio per user (the `users/{user}/portfolio` singleton), created by the first SyncPortfolio.
CREATE TABLE portfolios (
    user_id           UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    base_currency     TEXT NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    cash_balance      NUMERIC NOT NULL,
    position_count    INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every sync; readers compare it to know their copy of the holdings is current.
    holdings_version  BIGINT NOT NULL DEFAULT 1,
    synced_at         TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The current holdings (the last sync), one row per symbol.
CREATE TABLE positions (
    user_id       UUID NOT NULL REFERENCES portfolios(user_id) ON DELETE CASCADE,
    symbol        TEXT NOT NULL,
    quantity      NUMERIC NOT NULL CHECK (quantity > 0),
    average_cost  NUMERIC CHECK (average_cost >= 0),
    currency      TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    sector        TEXT,
    asset_class   TEXT NOT NULL DEFAULT 'UNSPECIFIED',
    basket        TEXT,
    tags          TEXT[] NOT NULL DEFAULT '{}',
    ordinal       INTEGER NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, symbol)
);
-- "Who holds this symbol" (alerts, digests).
CREATE INDEX idx_positions_symbol ON positions(symbol);

-- Holdings history: one snapshot per (user, effective market date); the last sync of a day wins.
-- Valuation on day d uses the latest snapshot effective on or before d. A snapshot always has a
-- cash row here (an all-cash portfolio has no rows in holdings_history).
CREATE TABLE cash_balance_history (
    user_id         UUID NOT NULL REFERENCES portfolios(user_id) ON DELETE CASCADE,
    effective_date  DATE NOT NULL,
    cash_balance    NUMERIC NOT NULL,
    base_currency   TEXT NOT NULL,
    synced_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, effective_date)
);

CREATE TABLE holdings_history (
    user_id         UUID NOT NULL,
    effective_date  DATE NOT NULL,
    symbol          TEXT NOT NULL,
    quantity        NUMERIC NOT NULL CHECK (quantity > 0),
    average_cost    NUMERIC CHECK (average_cost >= 0),
    currency        TEXT NOT NULL,
    sector          TEXT,
    asset_class     TEXT NOT NULL DEFAULT 'UNSPECIFIED',
    basket          TEXT,
    tags            TEXT[] NOT NULL DEFAULT '{}',
    ordinal         INTEGER NOT NULL,
    PRIMARY KEY (user_id, effective_date, symbol),
    FOREIGN KEY (user_id, effective_date)
        REFERENCES cash_balance_history(user_id, effective_date) ON DELETE CASCADE
);

-- External cash flows (deposits and withdrawals). A flow with a caller ledger id is recorded once per
-- portfolio (overlapping syncs do not double-count); flows without an id are appended.
CREATE TABLE cash_flows (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES portfolios(user_id) ON DELETE CASCADE,
    external_id  TEXT,
    flow_type    TEXT NOT NULL CHECK (flow_type IN ('DEPOSIT', 'WITHDRAWAL')),
    amount       NUMERIC NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ,
    occurred_on  DATE,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((occurred_at IS NULL) <> (occurred_on IS NULL)),
    UNIQUE (user_id, external_id)
);

-- Daily bars: the official close of a trading day. Global market data (not per user).
CREATE TABLE prices (
    symbol          TEXT NOT NULL,
    trading_date    DATE NOT NULL,
    close           NUMERIC NOT NULL CHECK (close > 0),
    previous_close  NUMERIC CHECK (previous_close > 0),
    currency        TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol, trading_date)
);

-- Intraday quotes: the last trade price at an instant.
CREATE TABLE price_quotes (
    symbol          TEXT NOT NULL,
    quoted_at       TIMESTAMPTZ NOT NULL,
    close           NUMERIC NOT NULL CHECK (close > 0),
    previous_close  NUMERIC CHECK (previous_close > 0),
    currency        TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol, quoted_at)
);

-- News for digests and market context (read by the scheduler). Deduplicated by id and by url.
CREATE TABLE news_articles (
    id            TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT,
    url           TEXT,
    symbols       TEXT[] NOT NULL DEFAULT '{}',
    ingested_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Unique among real URLs (NULL and '' mean "no URL" and never collide).
CREATE UNIQUE INDEX uq_news_articles_url ON news_articles (url) WHERE url IS NOT NULL AND url <> '';
CREATE INDEX idx_news_articles_symbols ON news_articles USING GIN (symbols);
CREATE INDEX idx_news_articles_published_at ON news_articles (published_at DESC);

-- A deleted portfolio (user erasure cascades here) tells every server replica to drop what it cached.
-- Syncs and price writes notify explicitly, inside their own transactions.
CREATE FUNCTION notify_portfolio_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portfolio_updates', OLD.user_id::text);
    RETURN OLD;
END
$$;

CREATE TRIGGER trg_portfolios_deleted AFTER DELETE ON portfolios
    FOR EACH ROW EXECUTE FUNCTION notify_portfolio_deleted();
