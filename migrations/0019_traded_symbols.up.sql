-- RecordPrices checks a symbol without prices against the currencies it is traded in, in every
-- user's ledger (the first close takes the trades' currency): found by symbol, not by user.
CREATE INDEX idx_portfolio_transactions_traded ON portfolio_transactions (book, currency)
    WHERE txn_type IN ('BUY', 'SELL', 'TRANSFER_IN', 'TRANSFER_OUT');
