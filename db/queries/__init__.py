"""Read queries returning plain rows (no ORM identity map on the hot path)."""
