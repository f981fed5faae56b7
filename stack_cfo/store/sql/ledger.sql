-- The transactions ledger, exchange rates and per-user portfolio settings.
-- Loaded by name with stack_cfo.store.queries.load_queries("ledger").

-- name: lock_portfolio
SELECT base_currency FROM portfolios WHERE user_id = %(user_id)s FOR UPDATE

-- name: create_portfolio
-- No row when a concurrent first write created it (the insert waits for that one to commit): the
-- caller then locks that row with lock_portfolio, as every writer must. A snapshot's first write
-- creates it at version 0: storing the snapshot makes it 1, as it always was.
INSERT INTO portfolios (user_id, base_currency, cash_balance, position_count, synced_at, holdings_version)
VALUES (%(user_id)s, %(base_currency)s, 0, 0, %(now)s, %(version)s)
ON CONFLICT (user_id) DO NOTHING
RETURNING base_currency

-- name: touch_portfolio
UPDATE portfolios SET holdings_version = holdings_version + 1, updated_at = now() WHERE user_id = %(user_id)s

-- name: base_currency
SELECT base_currency FROM portfolios WHERE user_id = %(user_id)s

-- name: by_client_ids
SELECT id, seq, revision, client_id, txn_type, trade_date, symbol, quantity, price, amount, currency, fees,
       split_ratio, note, created_at, updated_at, sealed, currency_given
FROM portfolio_transactions
WHERE user_id = %(user_id)s AND client_id = ANY(%(client_ids)s::text[])

-- name: recorded_client_ids
SELECT client_id FROM portfolio_transactions
WHERE user_id = %(user_id)s AND client_id = ANY(%(client_ids)s::text[])

-- name: load_all
SELECT id, seq, revision, client_id, txn_type, trade_date, symbol, quantity, price, amount, currency, fees,
       split_ratio, note, created_at, updated_at, sealed, currency_given
FROM portfolio_transactions
WHERE user_id = %(user_id)s
ORDER BY trade_date, seq

-- name: load_books
SELECT id, seq, revision, client_id, txn_type, trade_date, symbol, quantity, price, amount, currency, fees,
       split_ratio, note, created_at, updated_at, sealed, currency_given
FROM portfolio_transactions
WHERE user_id = %(user_id)s AND book = ANY(%(books)s::text[])
ORDER BY trade_date, seq

-- name: load_ids
SELECT id, seq, revision, client_id, txn_type, trade_date, symbol, quantity, price, amount, currency, fees,
       split_ratio, note, created_at, updated_at, sealed, currency_given
FROM portfolio_transactions
WHERE user_id = %(user_id)s AND id = ANY(%(ids)s::uuid[])

-- name: signatures
-- Per book: (count, sum and max of revisions): changes whenever a transaction of the book is
-- created, changed or deleted.
SELECT book, count(*), sum(revision), max(revision)
FROM portfolio_transactions
WHERE user_id = %(user_id)s
GROUP BY book

-- name: insert_transactions
INSERT INTO portfolio_transactions (id, user_id, client_id, txn_type, trade_date, book, symbol, quantity, price,
                                    amount, currency, fees, split_ratio, note, created_at, updated_at, sealed,
                                    currency_given)
SELECT t.id, %(user_id)s, t.client_id, t.txn_type, t.trade_date, t.book, t.symbol, t.quantity, t.price, t.amount,
       t.currency, t.fees, t.split_ratio, t.note, %(now)s, %(now)s, t.sealed, t.currency_given
FROM unnest(%(ids)s::uuid[], %(client_ids)s::text[], %(types)s::text[], %(dates)s::date[], %(books)s::text[],
            %(symbols)s::text[], %(quantities)s::numeric[], %(prices)s::numeric[], %(amounts)s::numeric[],
            %(currencies)s::text[], %(fees)s::numeric[], %(ratios)s::numeric[], %(notes)s::text[],
            %(sealed)s::text[], %(currency_given)s::boolean[])
     WITH ORDINALITY AS t(id, client_id, txn_type, trade_date, book, symbol, quantity, price, amount, currency, fees,
                          split_ratio, note, sealed, currency_given, n)
ORDER BY t.n
RETURNING id, seq, revision, created_at, updated_at

-- name: list_page
SELECT id, seq, revision, client_id, txn_type, trade_date, symbol, quantity, price, amount, currency, fees,
       split_ratio, note, created_at, updated_at, sealed, currency_given
FROM portfolio_transactions
WHERE user_id = %(user_id)s
  AND (%(start)s::date IS NULL OR trade_date >= %(start)s::date)
  AND (%(end)s::date IS NULL OR trade_date <= %(end)s::date)
  AND (%(symbol)s::text IS NULL OR symbol = %(symbol)s::text)
  AND (%(after_date)s::date IS NULL OR (trade_date, seq) > (%(after_date)s::date, %(after_seq)s::bigint))
ORDER BY trade_date, seq
LIMIT %(limit)s

-- name: get_one
SELECT id, seq, revision, client_id, txn_type, trade_date, symbol, quantity, price, amount, currency, fees,
       split_ratio, note, created_at, updated_at, sealed, currency_given
FROM portfolio_transactions
WHERE user_id = %(user_id)s AND id = %(id)s

-- name: update_one
UPDATE portfolio_transactions
SET txn_type = %(type)s, trade_date = %(date)s, book = %(book)s, symbol = %(symbol)s, quantity = %(quantity)s,
    price = %(price)s, amount = %(amount)s, currency = %(currency)s, currency_given = %(currency_given)s,
    fees = %(fees)s, split_ratio = %(ratio)s, note = %(note)s, sealed = %(sealed)s, updated_at = %(now)s, revision = nextval('portfolio_transaction_revisions')
WHERE user_id = %(user_id)s AND id = %(id)s
RETURNING revision, updated_at

-- name: set_currencies
-- SPLITs recorded without a currency before their symbol's first trade, taking its currency when it
-- comes (currency_given stays false: a later first trade may relabel them again).
UPDATE portfolio_transactions AS p
SET currency = n.currency, updated_at = %(now)s, revision = nextval('portfolio_transaction_revisions')
FROM unnest(%(ids)s::uuid[], %(currencies)s::text[]) AS n(id, currency)
WHERE p.user_id = %(user_id)s AND p.id = n.id

-- name: delete_one
DELETE FROM portfolio_transactions WHERE user_id = %(user_id)s AND id = %(id)s

-- name: price_currencies
-- The currency of each symbol's latest daily close.
SELECT DISTINCT ON (symbol) symbol, currency
FROM prices
WHERE symbol = ANY(%(symbols)s::text[])
ORDER BY symbol, trading_date DESC

-- name: upsert_rates
-- A rate replaces the one recorded the other way round for the same pair and day: the latest word wins
-- (a rate sent inverted by mistake is corrected by sending it the right way). Such a replacement of an
-- otherwise unchanged rate counts as an update.
WITH removed AS (
    DELETE FROM exchange_rates e
    USING unnest(%(bases)s::text[], %(quotes)s::text[], %(dates)s::date[]) AS n(b, q, d)
    WHERE e.base_currency = n.q AND e.quote_currency = n.b AND e.rate_date = n.d
    RETURNING n.b AS base_currency, n.q AS quote_currency, n.d AS rate_date
), upserted AS (
    INSERT INTO exchange_rates AS r (base_currency, quote_currency, rate_date, rate)
    SELECT * FROM unnest(%(bases)s::text[], %(quotes)s::text[], %(dates)s::date[], %(rates)s::numeric[])
    ON CONFLICT (base_currency, quote_currency, rate_date) DO UPDATE
    SET rate = EXCLUDED.rate, updated_at = now()
    WHERE r.rate IS DISTINCT FROM EXCLUDED.rate
    RETURNING r.base_currency, r.quote_currency, r.rate_date, (r.xmax = 0) AS inserted
), changes AS (
    -- a row inserted in place of its reverse pair's (removed above) replaced a rate: an update
    SELECT u.base_currency, u.quote_currency,
           u.inserted AND NOT EXISTS (SELECT 1 FROM removed m WHERE (m.base_currency, m.quote_currency, m.rate_date)
                                                                   = (u.base_currency, u.quote_currency, u.rate_date))
           AS inserted
    FROM upserted u
    UNION ALL
    SELECT m.base_currency, m.quote_currency, false FROM removed m
    WHERE NOT EXISTS (SELECT 1 FROM upserted u WHERE (u.base_currency, u.quote_currency, u.rate_date)
                                                     = (m.base_currency, m.quote_currency, m.rate_date))
)
SELECT base_currency, quote_currency, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM changes GROUP BY base_currency, quote_currency

-- name: load_rates
-- Rates converting each currency to the base: direct pairs, and inverted ones on days without a direct rate.
SELECT c, rate_date, rate FROM (
    SELECT base_currency AS c, rate_date, rate, 0 AS pref
    FROM exchange_rates WHERE quote_currency = %(base)s AND base_currency = ANY(%(currencies)s::text[])
    UNION ALL
    SELECT quote_currency AS c, rate_date, 1 / rate, 1 AS pref
    FROM exchange_rates WHERE base_currency = %(base)s AND quote_currency = ANY(%(currencies)s::text[])
) r
ORDER BY c, rate_date, pref

-- name: get_settings
SELECT benchmark_symbol, cost_basis_method, position_weight, position_weight_critical, sector_weight,
       drawdown_warning, drawdown_critical, basket_lag, position_lag, idle_cash, updated_at
FROM portfolio_settings WHERE user_id = %(user_id)s

-- name: ensure_settings
INSERT INTO portfolio_settings (user_id) VALUES (%(user_id)s) ON CONFLICT (user_id) DO NOTHING
