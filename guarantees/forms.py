import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import JapaneseDateField, YenField
from core.text import reject_bidi_controls
from guarantees import lifecycle
from guarantees.models import Guarantee
from guarantees.received import Change, snapshot_changes


class KeyRevealForm(forms.Form):
    """The password asked again before an authentication key is shown."""

    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": _("パスワードを入力してください。")},
    )


class AmendmentForm(forms.Form):
    """変更: the values the next certificate version states, starting from the version in force;
    what differs from it is the amendment."""

    amount = YenField(label=_("保証金額"))
    contract_amount = YenField(label=_("請負金額"))
    works_name = forms.CharField(
        label=_("工事名"), max_length=200, validators=[reject_bidi_controls]
    )
    works_place = forms.CharField(
        label=_("工事場所"), max_length=200, required=False, validators=[reject_bidi_controls]
    )
    period_start = JapaneseDateField(label=_("工期(自)"))
    period_end = JapaneseDateField(
        label=_("工期(至)"),
        help_text=_("保証期間(至)も工期(至)に合わせて変更されます。"),
    )
    reason = forms.CharField(
        label=_("変更の理由"),
        max_length=1000,
        validators=[reject_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("社内の記録です(証書には記載されません)。"),
    )
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        guarantee: Guarantee,
        snapshot: dict[str, Any],
        today: datetime.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, initial=lifecycle.stated_values(snapshot), **kwargs)
        self.guarantee, self.snapshot, self.today = guarantee, snapshot, today
        self.changes: dict[str, Any] = {}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        proposed = {field.name: data.get(field.name) for field in lifecycle.AMENDABLE}
        self.changes = lifecycle.changed_values(self.snapshot, proposed)
        errors = lifecycle.amendment_errors(
            self.guarantee, self.snapshot, self.changes, today=self.today
        )
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)
        return data

    def change_rows(self) -> list[Change]:
        """(label, kind, old, new) of each changed value, for the confirmation page."""
        new = lifecycle.amended_snapshot(
            self.snapshot, self.changes, version=0, issued_on=self.today
        )
        return snapshot_changes(self.snapshot, new)


class CancellationForm(forms.Form):
    """解約: the date the guarantee ended, and why."""

    cancelled_on = JapaneseDateField(label=_("解約日"))
    reason = forms.CharField(
        label=_("解約の理由"),
        max_length=1000,
        validators=[reject_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        guarantee: Guarantee,
        today: datetime.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, initial={"cancelled_on": today}, **kwargs)
        self.guarantee, self.today = guarantee, today

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("cancelled_on"):
            errors = lifecycle.cancellation_errors(
                self.guarantee, data["cancelled_on"], today=self.today
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return data
