"""The inventory ledger, balances, work orders and MES events (execution issue)."""
