"""JSON API v1 (SPEC §8): flask-smorest blueprints, bearer tokens, SPEC error bodies."""
