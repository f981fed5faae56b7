DROP INDEX IF EXISTS idx_portfolio_transactions_traded;
