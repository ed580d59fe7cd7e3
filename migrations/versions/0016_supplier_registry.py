"""supplier registry (공급기업): the firm's free-text supplier becomes a registry entry

Creates `supplier`, adds `firm.supplier_id`, carries every distinct non-empty
`firm.supplier` text over into an entry (spaces trimmed and runs of spaces made one;
spellings that differ only in letter case or spacing are one entry, named by the
spelling most firms used, then the first in sort order), links the firms, and drops
`firm.supplier`. Carried-over entries have no registration number or region yet
(a manager completes them). Downgrading writes each firm's supplier name back.

SQLite: the firm columns are added and dropped with a plain ALTER TABLE (a named
inline reference, as 0006 did for `ticket.asset_id`). A batch copy-and-move of
`firm` would have to drop the table, which every ticket, user, asset and claim row
references: with foreign keys enforced (the app's connections) that is refused, and
the pragma cannot be switched off inside the migration's transaction.

Revision ID: 0016_supplier_registry
Revises: 0015_account_four_eyes
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0016_supplier_registry"
down_revision = "0015_account_four_eyes"
branch_labels = None
depends_on = None

firm = sa.table(
    "firm",
    sa.column("id", sa.Integer()),
    sa.column("supplier", sa.String()),
    sa.column("supplier_id", sa.Integer()),
)
supplier = sa.table(
    "supplier",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("representative", sa.String()),
    sa.column("contact_name", sa.String()),
    sa.column("contact_phone", sa.String()),
    sa.column("contact_email", sa.String()),
    sa.column("solutions", sa.JSON()),
    sa.column("active", sa.Boolean()),
    sa.column("created_at", sa.DateTime()),
)


def clean_name(raw: str) -> str:
    """The text as an entry's name: trimmed, inner runs of spaces made one."""
    return " ".join(raw.split())


def upgrade():
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=10), nullable=True),
        sa.Column("representative", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("solutions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_supplier_registration_number")),
    )
    op.create_index(op.f("ix_supplier_name"), "supplier", ["name"])
    op.create_index(op.f("ix_supplier_region"), "supplier", ["region"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE firm ADD COLUMN supplier_id INTEGER "
            "CONSTRAINT fk_firm_supplier_id_supplier REFERENCES supplier (id)"
        )
    else:
        op.add_column("firm", sa.Column("supplier_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_firm_supplier_id_supplier", "firm", "supplier", ["supplier_id"], ["id"]
        )
    op.create_index(op.f("ix_firm_supplier_id"), "firm", ["supplier_id"])
    carry_names_over()
    op.drop_column("firm", "supplier")


def carry_names_over() -> None:
    """One entry per supplier text (case and spacing aside), and every firm linked to it."""
    bind = op.get_bind()
    counts = bind.execute(
        sa.select(firm.c.supplier, sa.func.count()).group_by(firm.c.supplier)
    ).all()
    spellings: dict[str, Counter] = defaultdict(Counter)  # merge key → {raw text: firms}
    for raw, n in counts:
        name = clean_name(raw or "")
        if name:
            spellings[name.casefold()][raw] += n
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as every timestamp
    for key in sorted(spellings):
        by_name: Counter = Counter()
        for raw, n in spellings[key].items():
            by_name[clean_name(raw)] += n
        name = min(by_name, key=lambda s: (-by_name[s], s))
        supplier_id = bind.execute(
            supplier.insert()
            .values(
                name=name,
                representative="",
                contact_name="",
                contact_phone="",
                contact_email="",
                solutions=[],
                active=True,
                created_at=now,
            )
            .returning(supplier.c.id)
        ).scalar_one()
        bind.execute(
            firm.update()
            .where(firm.c.supplier.in_(list(spellings[key])))
            .values(supplier_id=supplier_id)
        )


def downgrade():
    op.add_column(
        "firm",
        sa.Column("supplier", sa.String(length=200), server_default="", nullable=False),
    )
    names = sa.select(supplier.c.name).where(supplier.c.id == firm.c.supplier_id)
    op.execute(
        firm.update()
        .where(firm.c.supplier_id.is_not(None))
        .values(supplier=names.scalar_subquery())
    )
    op.drop_index(op.f("ix_firm_supplier_id"), "firm")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE firm DROP COLUMN supplier_id")
    else:
        op.drop_constraint("fk_firm_supplier_id_supplier", "firm", type_="foreignkey")
        op.drop_column("firm", "supplier_id")
    op.drop_index(op.f("ix_supplier_region"), "supplier")
    op.drop_index(op.f("ix_supplier_name"), "supplier")
    op.drop_table("supplier")
