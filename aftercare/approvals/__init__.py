"""Four eyes on money actions: budget additions, voids and manual settlements as requests."""
