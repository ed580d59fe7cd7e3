"""drop the data version: its counter and the triggers that bumped it

The ticket list is no longer kept per data version (no page or fragment caches), so
nothing reads the counter; the triggers only cost every write of a ticket, claim or
firm. Downgrading puts back what 0010 made.

Revision ID: 0011_drop_data_version
Revises: 0010_data_version
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0011_drop_data_version"
down_revision = "0010_data_version"
branch_labels = None
depends_on = None


def _revision_0010():
    path = Path(__file__).with_name("0010_data_version.py")
    spec = importlib.util.spec_from_file_location("revision_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    _revision_0010().downgrade()


def downgrade():
    _revision_0010().upgrade()
