"""The form of a cost line's evidence: supplier, tax invoice, payment, file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from aftercare.core.web.labels import PAYMENT_METHOD_LABELS

MONEY_MAX = 10**13


class EvidenceForm(FlaskForm):
    supplier_id = SelectField(_l("Supplier (issuer of the invoice)"), coerce=int, default=0)
    invoice_number = StringField(
        _l("E-tax invoice approval number"),
        validators=[Optional(), Length(max=40)],
        description=_l("24 digits, e.g. 20210315-41000012-00000001"),
    )
    invoice_issued_on = DateField(_l("Issue date"), validators=[Optional()])
    invoice_supply_amount = IntegerField(
        _l("Supply amount (VAT excluded, won)"),
        validators=[Optional(), NumberRange(min=0, max=MONEY_MAX)],
    )
    invoice_vat = IntegerField(
        _l("VAT (won, not shared)"), validators=[Optional(), NumberRange(min=0, max=MONEY_MAX)]
    )
    payment_method = SelectField(
        _l("Paid by"), choices=[("", "—"), *PAYMENT_METHOD_LABELS.items()], default=""
    )
    paid_on = DateField(_l("Payment date"), validators=[Optional()])
    file = FileField(_l("Evidence file (PDF, JPEG, PNG)"))

    def evidence(self) -> dict:
        """The fields as the service takes them (blank → None)."""
        return {
            "supplier_id": self.supplier_id.data or None,
            "invoice_number": (self.invoice_number.data or "").strip() or None,
            "invoice_issued_on": self.invoice_issued_on.data,
            "invoice_supply_amount": self.invoice_supply_amount.data,
            "invoice_vat": self.invoice_vat.data,
            "payment_method": self.payment_method.data or None,
            "paid_on": self.paid_on.data,
        }
