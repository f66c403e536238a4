"""Purchase orders, acknowledgements, ASNs, receipts and the supplier portal (procurement issue)."""
