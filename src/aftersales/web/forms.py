"""The pages' forms. They parse what was typed (元 amounts exactly, one photo link per line) and leave every
rule to the services, so a refusal comes back with the service's own code and message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.cases.reasons import REASONS
from aftersales.core.bounds import MAX_FEN, MAX_QTY, MAX_VERSION
from aftersales.core.money import InvalidAmount, yuan_to_fen
from aftersales.logistics.carriers import CARRIERS
from aftersales.orders.models import OrderItem
from aftersales.reviews.models import MAX_COMMENT, MAX_SCORE, MIN_SCORE, TAGS
from aftersales.web import labels


def _carrier_choices() -> list[tuple[str, Any]]:
    return [("", "—"), *((c.code, c.shown()) for c in CARRIERS.values())]


def _reason_choices() -> list[tuple[str, Any]]:
    return [(code, reason.label) for code, reason in REASONS.items()]


def _type_choices() -> list[tuple[str, Any]]:
    return list(labels.TYPES.items())


def _yuan(value: str, *, required: bool) -> int | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise forms.ValidationError(_("Enter an amount in yuan."))
        return None
    try:
        fen = yuan_to_fen(value)
    except InvalidAmount as exc:
        raise forms.ValidationError(
            _("Enter an amount in yuan with at most two decimals, for example 19.90.")
        ) from exc
    if fen > MAX_FEN:
        raise forms.ValidationError(_("Enter an amount of at most %(yuan)s yuan.") % {"yuan": MAX_FEN // 100})
    return fen


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class VersionForm(forms.Form):
    """An action on a case, made against the version the page showed (a stale page is refused)."""

    version = forms.IntegerField(required=False, min_value=0, max_value=MAX_VERSION, widget=forms.HiddenInput)


class AgreeForm(VersionForm):
    name = forms.CharField(label=_("Recipient"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    address = forms.CharField(label=_("Address"), required=False, max_length=500)


class RejectForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason for the buyer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReceiveReturnForm(VersionForm):
    outcome = forms.ChoiceField(
        label=_("Inspection"),
        choices=[
            ("accept", _("Received and accepted: refund now")),
            ("refuse", _("Refuse the returned goods")),
        ],
        widget=forms.RadioSelect,
        initial="accept",
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    resellable = forms.BooleanField(label=_("Goods can be sold again (back into stock)"), required=False)


class ShipForm(VersionForm):
    carrier = forms.CharField(
        label=_("Carrier"), required=False, max_length=16, widget=forms.Select(choices=_carrier_choices())
    )
    tracking_no = forms.CharField(label=_("Tracking number"), required=False, max_length=64)


class NoteForm(VersionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class DeclineForm(VersionForm):
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=1000)


class EscalateForm(VersionForm):
    reason = forms.CharField(
        label=_("Why do you disagree?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(VersionForm):
    """服务评价: the score is checked by the service, so a refused score shows the service's message."""

    score = forms.IntegerField(
        label=_("Score"),
        required=False,
        widget=forms.RadioSelect(choices=[(n, "★" * n) for n in range(MIN_SCORE, MAX_SCORE + 1)]),
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"),
        required=False,
        choices=[(tag.code, tag.label) for tag in sorted(TAGS.values(), key=lambda tag: not tag.positive)],
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_COMMENT}),
    )


class ShipReturnForm(VersionForm):
    carrier = forms.CharField(
        label=_("Carrier"), required=False, max_length=16, widget=forms.Select(choices=_carrier_choices())
    )
    tracking_no = forms.CharField(label=_("Tracking number"), required=False, max_length=64)
    freight = forms.CharField(
        label=_("Return freight you paid (yuan)"), required=False, max_length=20, initial="0"
    )

    def clean_freight(self) -> int:
        return _yuan(self.cleaned_data.get("freight", ""), required=False) or 0


class DecideForm(VersionForm):
    decision = forms.CharField(label=_("Decision"), required=False, max_length=16, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note for both sides"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, decisions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(d, labels.DECISIONS[d]) for d in (decisions or list(labels.DECISIONS))]
        self.fields["decision"].widget.choices = choices


class ReopenForm(forms.Form):
    note = forms.CharField(label=_("Why reopen"), required=False, max_length=1000)


class ChatForm(forms.Form):
    text = forms.CharField(
        label=_("Message"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    template = forms.CharField(required=False, max_length=100)


class _ItemsMixin(forms.Form):
    """One quantity box per order line; a line left at 0 is not part of the request."""

    def add_item_fields(self, lines: list[OrderItem]) -> None:
        self.lines = lines
        for index, line in enumerate(lines):
            self.fields[f"qty_{index}"] = forms.IntegerField(
                label=line.sku_code,
                required=False,
                min_value=0,
                max_value=MAX_QTY,
                initial=0,
                widget=forms.NumberInput(attrs={"min": 0}),
            )

    def item_rows(self) -> list[tuple[OrderItem, forms.BoundField]]:
        return [(line, self[f"qty_{i}"]) for i, line in enumerate(self.lines)]

    def items(self) -> list[tuple[str, int]]:
        chosen = []
        for index, line in enumerate(self.lines):
            qty = self.cleaned_data.get(f"qty_{index}") or 0
            if qty > 0:
                chosen.append((line.sku_code, qty))
        return chosen


class ApplyForm(_ItemsMixin):
    type = forms.CharField(
        label=_("What do you need?"),
        max_length=16,
        required=False,
        widget=forms.Select(choices=_type_choices()),
    )
    reason_code = forms.CharField(
        label=_("Reason"), max_length=32, required=False, widget=forms.Select(choices=_reason_choices())
    )
    amount = forms.CharField(
        label=_("Refund amount (yuan)"), required=False, max_length=20,
        help_text=_("Leave empty to ask for what the items cost."),
    )  # fmt: skip
    exchange_sku = forms.CharField(
        label=_("Exchange for"), required=False, max_length=64, widget=forms.Select
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.CharField(
        label=_("Photo links"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One link per line, up to 9."),
    )  # fmt: skip

    def __init__(self, *args: Any, lines: list[OrderItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_item_fields(lines)
        same = [("", _("The same item"))]
        self.fields["exchange_sku"].widget.choices = same + [(line.sku_code, line.sku_code) for line in lines]

    def clean_amount(self) -> int | None:
        return _yuan(self.cleaned_data.get("amount", ""), required=False)

    def clean_evidence(self) -> list[str]:
        return _lines(self.cleaned_data.get("evidence", ""))


class ReapplyForm(VersionForm):
    reason_code = forms.CharField(
        label=_("Reason"), max_length=32, required=False, widget=forms.Select(choices=_reason_choices())
    )
    amount = forms.CharField(label=_("Refund amount (yuan)"), required=False, max_length=20)
    description = forms.CharField(
        label=_("Describe the problem"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.CharField(
        label=_("Photo links"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One link per line, up to 9."),
    )  # fmt: skip

    def clean_amount(self) -> int | None:
        return _yuan(self.cleaned_data.get("amount", ""), required=False)

    def clean_evidence(self) -> list[str]:
        return _lines(self.cleaned_data.get("evidence", ""))


class ProposeReshipForm(_ItemsMixin):
    """商家帮买家申请补寄: which items are missing, why, and where to send them."""

    reason_code = forms.CharField(
        label=_("Reason"), max_length=32, required=False, widget=forms.Select(choices=_reason_choices())
    )
    address_mode = forms.ChoiceField(
        label=_("Ship to"),
        choices=[("order", _("The order's receiver")), ("other", _("Another address"))],
        widget=forms.RadioSelect,
        initial="order",
    )
    name = forms.CharField(label=_("Recipient"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    address = forms.CharField(label=_("Address"), required=False, max_length=500)
    description = forms.CharField(label=_("Note for the buyer"), required=False, max_length=2000)

    def __init__(self, *args: Any, lines: list[OrderItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_item_fields(lines)
        self.fields["reason_code"].initial = "missing_item"

    def ship_to(self) -> dict[str, str] | None:
        if self.cleaned_data.get("address_mode") != "other":
            return None
        return {k: self.cleaned_data.get(k) or "" for k in ("name", "phone", "address")}


class QueueForm(forms.Form):
    """The queue's tab, filters and page, from the query string; anything unknown falls back to the default."""

    tab = forms.ChoiceField(choices=list(labels.WAITING_TABS.items()), required=False)
    type = forms.ChoiceField(choices=[("", _("All types")), *labels.TYPES.items()], required=False)
    state = forms.ChoiceField(choices=[("", _("All states")), *labels.STATES.items()], required=False)
    q = forms.CharField(required=False, max_length=64)
    overdue = forms.BooleanField(required=False)
    sort = forms.ChoiceField(
        choices=[("deadline", _("Deadline first")), ("-created", _("Newest first"))], required=False
    )
    cursor = forms.CharField(required=False, max_length=500)
