-- Portfolio analytics: holdings in, market data in, inputs of the analytics out.
-- Loaded by name with stack_cfo.store.queries.load_queries("portfolio").

-- name: upsert_portfolio
INSERT INTO portfolios (user_id, base_currency, cash_balance, sealed_cash, position_count, synced_at)
VALUES (%(user_id)s, %(base_currency)s, %(cash_balance)s, %(sealed_cash)s, %(position_count)s, %(synced_at)s)
ON CONFLICT (user_id) DO UPDATE
SET cash_balance = EXCLUDED.cash_balance,
    sealed_cash = EXCLUDED.sealed_cash,
    position_count = EXCLUDED.position_count,
    synced_at = EXCLUDED.synced_at,
    holdings_version = portfolios.holdings_version + 1,
    updated_at = now()

-- name: has_transactions
SELECT 1 FROM portfolio_transactions WHERE user_id = %(user_id)s LIMIT 1

-- name: latest_snapshot_date
SELECT max(effective_date) AS latest FROM cash_balance_history WHERE user_id = %(user_id)s

-- name: bump_holdings_version
UPDATE portfolios SET holdings_version = holdings_version + 1, updated_at = now() WHERE user_id = %(user_id)s

-- name: delete_positions
DELETE FROM positions WHERE user_id = %(user_id)s

-- name: insert_position
INSERT INTO positions (user_id, symbol, quantity, average_cost, currency, sector, asset_class, basket, tags, ordinal,
                       sealed)
VALUES (%(user_id)s, %(symbol)s, %(quantity)s, %(average_cost)s, %(currency)s, %(sector)s, %(asset_class)s,
        %(basket)s, %(tags)s, %(ordinal)s, %(sealed)s)

-- name: upsert_cash_snapshot
INSERT INTO cash_balance_history (user_id, effective_date, cash_balance, sealed_cash, base_currency, synced_at)
VALUES (%(user_id)s, %(effective_date)s, %(cash_balance)s, %(sealed_cash)s, %(base_currency)s, %(synced_at)s)
ON CONFLICT (user_id, effective_date) DO UPDATE
SET cash_balance = EXCLUDED.cash_balance, sealed_cash = EXCLUDED.sealed_cash, base_currency = EXCLUDED.base_currency, synced_at = EXCLUDED.synced_at

-- name: delete_snapshot_holdings
DELETE FROM holdings_history WHERE user_id = %(user_id)s AND effective_date = %(effective_date)s

-- name: insert_snapshot_holding
INSERT INTO holdings_history (user_id, effective_date, symbol, quantity, average_cost, currency, sector,
                              asset_class, basket, tags, ordinal, sealed)
VALUES (%(user_id)s, %(effective_date)s, %(symbol)s, %(quantity)s, %(average_cost)s, %(currency)s, %(sector)s,
        %(asset_class)s, %(basket)s, %(tags)s, %(ordinal)s, %(sealed)s)

-- name: add_holdings_versions
-- An import of n snapshots bumps the version once per snapshot, as n syncs would.
UPDATE portfolios SET holdings_version = holdings_version + %(count)s, updated_at = now() WHERE user_id = %(user_id)s

-- name: upsert_cash_snapshots
-- Every snapshot of an import in one statement (an import's dates are distinct).
INSERT INTO cash_balance_history (user_id, effective_date, cash_balance, sealed_cash, base_currency, synced_at)
SELECT %(user_id)s::uuid, c.effective_date, c.cash_balance, c.sealed_cash, %(base_currency)s, %(synced_at)s
FROM unnest(%(effective_dates)s::date[], %(cash_balances)s::numeric[], %(sealed_cash)s::text[])
     AS c(effective_date, cash_balance, sealed_cash)
ON CONFLICT (user_id, effective_date) DO UPDATE
SET cash_balance = EXCLUDED.cash_balance, sealed_cash = EXCLUDED.sealed_cash, base_currency = EXCLUDED.base_currency, synced_at = EXCLUDED.synced_at

-- name: delete_snapshots_holdings
DELETE FROM holdings_history WHERE user_id = %(user_id)s AND effective_date = ANY(%(effective_dates)s::date[])

-- name: create_holdings_staging
-- An import's holdings, COPied here a chunk at a time (no row-level security on a temporary table:
-- COPY FROM is refused on tables that have it), then moved to holdings_history in one statement.
CREATE TEMP TABLE holdings_staging (
    effective_date  date NOT NULL,
    symbol          text NOT NULL,
    quantity        numeric,
    average_cost    numeric,
    currency        text NOT NULL,
    sector          text,
    asset_class     text NOT NULL,
    basket          text,
    tags            text[] NOT NULL,
    ordinal         integer NOT NULL,
    sealed          text
) ON COMMIT DROP

-- name: copy_holdings_staging
COPY holdings_staging (effective_date, symbol, quantity, average_cost, currency, sector, asset_class, basket, tags,
                       ordinal, sealed) FROM STDIN (FORMAT BINARY)

-- name: insert_holdings_from_staging
-- A chunk of an import's holdings, in the order staged (by date, then ordinal).
INSERT INTO holdings_history (user_id, effective_date, symbol, quantity, average_cost, currency, sector,
                              asset_class, basket, tags, ordinal, sealed)
SELECT %(user_id)s::uuid, effective_date, symbol, quantity, average_cost, currency, sector, asset_class, basket, tags,
       ordinal, sealed
FROM holdings_staging

-- name: truncate_holdings_staging
TRUNCATE holdings_staging

-- name: insert_positions_from_history
-- The current holdings after an import: its snapshot of that day, as stored.
INSERT INTO positions (user_id, symbol, quantity, average_cost, currency, sector, asset_class, basket, tags, ordinal,
                       sealed)
SELECT user_id, symbol, quantity, average_cost, currency, sector, asset_class, basket, tags, ordinal, sealed
FROM holdings_history
WHERE user_id = %(user_id)s AND effective_date = %(effective_date)s
ORDER BY ordinal

-- name: insert_cash_flows
-- One statement for the whole batch; a flow whose ledger id is already recorded is skipped.
INSERT INTO cash_flows (user_id, external_id, flow_type, amount, currency, occurred_at, occurred_on, sealed_amount)
SELECT %(user_id)s, f.external_id, f.flow_type, f.amount, f.currency, f.occurred_at, f.occurred_on, f.sealed_amount
FROM unnest(%(external_ids)s::text[], %(flow_types)s::text[], %(amounts)s::numeric[], %(currencies)s::text[],
            %(occurred_ats)s::timestamptz[], %(occurred_ons)s::date[], %(sealed)s::text[])
     AS f(external_id, flow_type, amount, currency, occurred_at, occurred_on, sealed_amount)
ON CONFLICT (user_id, external_id) DO NOTHING
RETURNING id

-- name: notify_portfolio
SELECT pg_notify('portfolio_updates', %(user_id)s::text)

-- name: load_snapshots
-- Every holdings snapshot of a user with its positions (an all-cash snapshot has one row with NULL symbol).
SELECT c.effective_date, c.cash_balance, c.sealed_cash, c.base_currency, c.synced_at,
       h.symbol, h.quantity, h.average_cost, h.currency, h.sector, h.asset_class, h.basket, h.tags, h.sealed
FROM cash_balance_history c
LEFT JOIN holdings_history h ON h.user_id = c.user_id AND h.effective_date = c.effective_date
WHERE c.user_id = %(user_id)s
ORDER BY c.effective_date, h.ordinal

-- name: load_cash_flows
SELECT flow_type, amount, occurred_at, occurred_on, currency, external_id, sealed_amount
FROM cash_flows
WHERE user_id = %(user_id)s
ORDER BY id

-- name: load_daily_prices
SELECT symbol, trading_date, close, previous_close, currency
FROM prices
WHERE symbol = ANY(%(symbols)s::text[])
ORDER BY symbol, trading_date

-- name: load_latest_quotes
-- The latest intraday quote at or before a cut-off, per symbol (one index probe each).
SELECT q.symbol, q.quoted_at, q.close, q.previous_close, q.currency
FROM unnest(%(symbols)s::text[]) AS s(symbol)
CROSS JOIN LATERAL (
    SELECT symbol, quoted_at, close, previous_close, currency
    FROM price_quotes
    WHERE price_quotes.symbol = s.symbol AND quoted_at <= %(at_or_before)s
    ORDER BY quoted_at DESC
    LIMIT 1
) AS q

-- name: create_price_staging
CREATE TEMP TABLE price_staging (
    symbol          text NOT NULL,
    trading_date    date,
    quoted_at       timestamptz,
    close           numeric NOT NULL,
    previous_close  numeric,
    currency        text NOT NULL
) ON COMMIT DROP

-- name: copy_price_staging
COPY price_staging (symbol, trading_date, quoted_at, close, previous_close, currency) FROM STDIN

-- name: upsert_daily_from_staging
-- Per symbol: points inserted and points changed. Inserted rows have xmax = 0; rows left as they
-- were (same close, previous close and currency) are not returned by the upsert at all, so they
-- count as unchanged and notify nobody.
WITH upserted AS (
    INSERT INTO prices AS p (symbol, trading_date, close, previous_close, currency)
    SELECT symbol, trading_date, close, previous_close, currency
    FROM price_staging
    WHERE trading_date IS NOT NULL
    ON CONFLICT (symbol, trading_date) DO UPDATE
    SET close = EXCLUDED.close, previous_close = EXCLUDED.previous_close, currency = EXCLUDED.currency,
        updated_at = now()
    WHERE (p.close, p.previous_close, p.currency) IS DISTINCT FROM
          (EXCLUDED.close, EXCLUDED.previous_close, EXCLUDED.currency)
    RETURNING p.symbol, (p.xmax = 0) AS inserted
)
SELECT symbol, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM upserted GROUP BY symbol

-- name: upsert_quotes_from_staging
-- The intraday twin of upsert_daily_from_staging: same rules, another table and key.
WITH upserted AS (
    INSERT INTO price_quotes AS p (symbol, quoted_at, close, previous_close, currency)
    SELECT symbol, quoted_at, close, previous_close, currency
    FROM price_staging
    WHERE quoted_at IS NOT NULL
    ON CONFLICT (symbol, quoted_at) DO UPDATE
    SET close = EXCLUDED.close, previous_close = EXCLUDED.previous_close, currency = EXCLUDED.currency,
        updated_at = now()
    WHERE (p.close, p.previous_close, p.currency) IS DISTINCT FROM
          (EXCLUDED.close, EXCLUDED.previous_close, EXCLUDED.currency)
    RETURNING p.symbol, (p.xmax = 0) AS inserted
)
SELECT symbol, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM upserted GROUP BY symbol

-- name: notify_prices
SELECT pg_notify('price_updates', %(payload)s)

-- name: insert_news
-- Any unique key (id, or a real url) already present skips the article, within the batch too.
INSERT INTO news_articles (id, source, published_at, title, summary, url, symbols)
SELECT a.id, a.source, a.published_at, a.title, a.summary, NULLIF(a.url, ''),
       ARRAY(SELECT jsonb_array_elements_text(a.symbols::jsonb))
FROM unnest(%(ids)s::text[], %(sources)s::text[], %(published_ats)s::timestamptz[], %(titles)s::text[],
            %(summaries)s::text[], %(urls)s::text[], %(symbols)s::text[])
     WITH ORDINALITY AS a(id, source, published_at, title, summary, url, symbols, n)
ORDER BY a.n
ON CONFLICT DO NOTHING
RETURNING id
