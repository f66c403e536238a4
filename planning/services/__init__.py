"""Every write to planning data, one module per subject (forecasts, demand orders, ...)."""
