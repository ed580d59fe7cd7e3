"""Recovery cases (환수), objections and the money coming back (docs/recovery.md)."""
