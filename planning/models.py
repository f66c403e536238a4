"""Forecasts, MRP, planned orders and the exception workbench (planning issue)."""
