"""support types as data: a `support_type` row per fiscal year and type

Each fiscal year's support types become rows (issue 30): code, Korean and English
name, the government-share cap per firm, share rate, rounding unit, project and
extension months, open or closed for new tickets. Every existing year gets the rows
`emergency` (긴급복구형) and `growth` (성장연계형) carrying its caps, rate and
rounding unit, with 6-month projects and one 2-month extension.

The year's old columns (`share_rate_bp`, `cap_emergency`, `cap_growth`,
`rounding_unit`) are dropped: kept, they would be a second truth that goes stale the
first time a manager changes a type's rule. They are plain columns (no index, no
constraint, no trigger), so SQLite drops them with a plain ALTER TABLE DROP COLUMN,
never a batch copy of `fiscal_year`, which claims, accounts and usage rows
reference. Downgrading adds them back and fills them from the `emergency` and
`growth` rows (a year's other types are lost with the table).

Revision ID: 0019_support_types
Revises: 0018_recovery
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_support_types"
down_revision = "0018_recovery"
branch_labels = None
depends_on = None

# The year's columns this revision moves into its type rows, as 0001 made them.
OLD_COLUMNS = (
    ("share_rate_bp", sa.Integer(), "5000"),
    ("cap_emergency", sa.BigInteger(), "5000000"),
    ("cap_growth", sa.BigInteger(), "20000000"),
    ("rounding_unit", sa.Integer(), "1000"),
)
# (code, Korean name, English name, the year's cap column)
CARRIED = (
    ("emergency", "긴급복구형", "Emergency recovery", "cap_emergency"),
    ("growth", "성장연계형", "Growth-linked", "cap_growth"),
)


def upgrade():
    op.create_table(
        "support_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_ko", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=False),
        sa.Column("cap", sa.BigInteger(), nullable=False),
        sa.Column("share_rate_bp", sa.Integer(), nullable=False),
        sa.Column("rounding_unit", sa.Integer(), nullable=False),
        sa.Column("project_months", sa.Integer(), nullable=False),
        sa.Column("extension_months", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            ["fiscal_year.id"],
            name=op.f("fk_support_type_fiscal_year_id_fiscal_year"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_type")),
        sa.UniqueConstraint("fiscal_year_id", "code", name=op.f("uq_support_type_fiscal_year_id")),
    )
    for code, name_ko, name_en, cap in CARRIED:
        op.execute(
            sa.text(
                "INSERT INTO support_type (fiscal_year_id, code, name_ko, name_en, cap, "
                "share_rate_bp, rounding_unit, project_months, extension_months, is_open, "
                "created_at) "
                f"SELECT id, :code, :name_ko, :name_en, {cap}, share_rate_bp, rounding_unit, "
                "6, 2, :is_open, created_at FROM fiscal_year ORDER BY id"
            ).bindparams(code=code, name_ko=name_ko, name_en=name_en, is_open=True)
        )
    for name, _, _ in OLD_COLUMNS:
        op.drop_column("fiscal_year", name)


def downgrade():
    for name, type_, default in OLD_COLUMNS:
        op.add_column(
            "fiscal_year", sa.Column(name, type_, server_default=default, nullable=False)
        )
    for code, _, _, cap in CARRIED:
        row = f"FROM support_type t WHERE t.fiscal_year_id = fiscal_year.id AND t.code = '{code}'"
        op.execute(
            f"UPDATE fiscal_year SET {cap} = (SELECT t.cap {row}), "
            f"share_rate_bp = (SELECT t.share_rate_bp {row}), "
            f"rounding_unit = (SELECT t.rounding_unit {row}) "
            f"WHERE EXISTS (SELECT 1 {row})"
        )
    op.drop_table("support_type")
