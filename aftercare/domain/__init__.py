"""Pure rules of SPEC.md: no Flask, no SQLAlchemy (see ruff.toml beside this file)."""
