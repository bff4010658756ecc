"""The application form (申込作成): one form for the whole seed screen.

Field names are the model's: Application fields as they are, guarantee fields prefixed by kind
("ag_" 前払金保証, "cg_" 契約保証) so that the rules' errors land next to the right control. The
guarantee fields are declared once, in GuaranteeRequestForm, and held once per kind.
"""

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from crispy_forms.helper import FormHelper
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.renderers import BaseRenderer
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch
from applications import rules
from applications.models import REQUEST_FIELDS as APPLICATION_FIELDS
from applications.models import Application
from core.forms import JapaneseDateField, YenField
from core.numbers import percentage
from core.text import (
    normalise_phone,
    parse_yen,
    reject_bidi_controls,
    to_fullwidth,
)
from guarantees.models import REQUEST_FIELDS as GUARANTEE_FIELDS
from guarantees.models import Guarantee
from obligees import selectors as obligee_selectors
from obligees.models import Obligee

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PREFIX: dict[str, str] = {Guarantee.Kind.ADVANCE: "ag_", Guarantee.Kind.CONTRACT: "cg_"}
# The request fields of each kind (guarantees.models.REQUEST_FIELDS), looked up by the kind as
# a plain string: a guarantee's `kind`, or a key of PREFIX.
KIND_FIELDS: dict[str, list[str]] = {kind: names for kind, names in GUARANTEE_FIELDS.items()}
# お客様から弊社への連絡事項: a note to the branch, not a document.
MESSAGE_MAX_LENGTH = 2000
WANTED_CHOICES = [("1", _("希望する")), ("0", _("希望しない"))]

# What sending needs filled in (applications/rules.py, `sending_errors`): the 必須 badges and
# aria-required. Radio groups are not listed: they always have a value. The test of the markers
# compares this with the errors the rules give for an empty form.
REQUIRED_ON_SEND = (
    "obligee", "works_name", "works_place", "contract_date", "period_start", "period_end",
    "contract_amount", "branch", "contact_person", "contact_phone",
)  # fmt: skip
# Required only while another control says so: the kind is requested, the notice is 希望する.
REQUIRED_WHEN = {
    "ag_amount": "ag_requested",
    "ag_deposit_bank": "ag_requested",
    "cg_amount": "cg_requested",
    "notify_email": "notify_issuance",
}


def _wanted_field(label: "StrOrPromise", **kwargs: Any) -> forms.TypedChoiceField:
    # Not `required`: the group always has a value (希望しない unless changed), and a required
    # field would carry crispy's asterisk although nothing needs filling in.
    return forms.TypedChoiceField(
        label=label,
        choices=WANTED_CHOICES,
        coerce=lambda v: v in (True, "1", "True"),
        # Any value will do as the empty one; django-stubs only knows text.
        empty_value=False,  # type: ignore[arg-type]
        widget=forms.RadioSelect,
        initial="0",
        required=False,
        **kwargs,
    )


# --- 発注者: a type-ahead over the registry (static/js/obligee_combobox.js) ----------------------


@dataclass(frozen=True)
class ObligeeChoice:
    """What the 発注者 control shows: the chosen obligee, or the text typed without a choice."""

    text: str = ""
    obligee: Obligee | None = None


class ObligeeCombobox(forms.Widget):
    """A text box for the name and a hidden input `obligee` for the chosen id.

    The script turns the text box into a combobox over /obligees/search/; without it, the name
    typed is resolved on the server (ObligeeField). The hidden input carries the chosen obligee's
    name and acceptance dates for the e-guarantee notes beside the format choices.
    """

    template_name = "applications/_obligee_combobox.html"

    def value_from_datadict(
        self, data: Mapping[str, Any], files: MultiValueDict[str, UploadedFile], name: str
    ) -> tuple[str, str]:
        return (data.get(name, ""), data.get(f"{name}_text", ""))

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        choice = value if isinstance(value, ObligeeChoice) else ObligeeChoice()
        context["choice"] = choice
        if choice.obligee is not None:
            context["e_since"] = {kind: choice.obligee.electronic_since(kind) for kind in PREFIX}
        context["search_url"] = reverse("obligees:search")
        context["max_length"] = obligee_selectors.QUERY_MAX_LENGTH
        context["invalid"] = "is-invalid" in context["widget"]["attrs"].get("class", "")
        return context

    def _render(
        self, template_name: str, context: dict[str, Any], renderer: BaseRenderer | None = None
    ) -> SafeString:
        # The project's engine (templates/), like the rest of the page.
        return mark_safe(render_to_string(template_name, context))


def _is_id(value: object) -> bool:
    """Only the script's own ids (ASCII digits) are looked up: not 1.5, -1 or a full-width １."""
    return isinstance(value, int) or (
        isinstance(value, str) and value.isascii() and value.isdigit()
    )


class ObligeeField(forms.ModelChoiceField):
    """The chosen obligee's id; or, with no id, a typed name that stands for one obligee."""

    widget = ObligeeCombobox
    default_error_messages = {
        "invalid_choice": _("選択された発注者は登録されていません。もう一度選択してください。"),
        "not_found": _(
            "「%(text)s」に該当する発注者が見つかりません。"
            "発注者名の一部を入力し、候補から選択してください。"
        ),
        "ambiguous": _(
            "「%(text)s」だけでは発注者を1つに決められません。候補から選択するか、"
            "次のいずれかを入力してください: %(candidates)s"
        ),
    }
    CANDIDATES_SHOWN = 5

    def to_python(self, value: Any) -> Obligee | None:
        obligee_id, text = value if isinstance(value, tuple) else (value, "")
        text = (text or "").strip()
        if obligee_id not in self.empty_values:
            if not _is_id(obligee_id):
                raise forms.ValidationError(self.error_messages["invalid_choice"], "invalid_choice")
            obligee = super().to_python(obligee_id)
        elif not text:
            obligee = None
        elif message := obligee_selectors.query_error(text):
            raise forms.ValidationError(message, code="invalid")
        else:
            obligee, candidates = obligee_selectors.obligee_for_text(text)
            if obligee is None:
                labels = [obligee_selectors.obligee_label(o) for o in candidates]
                code = "ambiguous" if labels else "not_found"
                raise forms.ValidationError(
                    self.error_messages[code],
                    code=code,
                    params={"text": text, "candidates": "、".join(labels[: self.CANDIDATES_SHOWN])},
                )
        self._resolved = (value, obligee)  # rendering the form again needs no second query
        return obligee

    def prepare_value(self, value: Any) -> ObligeeChoice:
        if isinstance(value, ObligeeChoice):
            return value
        if isinstance(value, Obligee):
            return ObligeeChoice(obligee_selectors.obligee_label(value), value)
        resolved = getattr(self, "_resolved", None)
        if resolved is not None and resolved[0] == value and resolved[1] is not None:
            return self.prepare_value(resolved[1])
        obligee_id, text = value if isinstance(value, tuple) else (value, "")
        if (
            _is_id(obligee_id)
            and self.queryset is not None
            and (obligee := self.queryset.filter(pk=obligee_id).first())
        ):
            return self.prepare_value(obligee)
        return ObligeeChoice(text or "")

    def has_changed(self, initial: Any, data: Any) -> bool:
        before, after = self.prepare_value(initial).obligee, self.prepare_value(data).obligee
        return getattr(before, "pk", None) != getattr(after, "pk", None)


# The fields each rule error of applications/rules.py is worked out from, by the field it lands
# on: when one of them did not read (its own error), the rule's error would be about a value
# the user did not type, and is left for the next round.
RULE_INPUTS = {
    "ag_amount": ("contract_amount", "this_year_amount", "contract_type"),
    "cg_amount": ("contract_amount",),
    "this_year_amount": ("contract_amount",),
    "contract_date": ("period_end",),
    "period_end": ("contract_date", "period_start"),
    "ag_certificate_format": ("obligee",),
    "cg_certificate_format": ("obligee",),
}


class GuaranteeRequestForm(forms.Form):
    """保証の申込内容 of one guarantee kind: the application form holds it once per kind, its
    fields named by the kind's prefix (ag_amount, cg_amount …)."""

    requested = forms.BooleanField(required=False)
    certificate_format = forms.ChoiceField(
        label=_("保証証書の形式について"),
        choices=Guarantee.Format.choices,
        widget=forms.RadioSelect,
        initial=Guarantee.Format.PAPER,
        required=False,
        help_text=_(
            "電子保証を選択すると、保証証書は電子データで発行され、発注者へは認証キーをお渡しいただきます。"
        ),
    )
    amount = YenField(required=False)
    deposit_bank = forms.CharField(
        label=_("預託金融機関(全角)"),
        max_length=100,
        required=False,
        help_text=_(
            "前払金を預け入れる金融機関と支店名を全角で入力してください(例: 〇〇銀行 ××支店)。"
        ),
    )
    redeposit = forms.ChoiceField(
        label=_("再預託利用区分"),
        choices=Guarantee.Redeposit.choices,
        widget=forms.RadioSelect,
        initial=Guarantee.Redeposit.NOT_USED,
        required=False,
    )
    fee_payment_method = forms.ChoiceField(choices=Guarantee.PaymentMethod.choices, required=False)
    fee_billing_address = forms.CharField(
        max_length=200,
        required=False,
        help_text=_(
            "御社以外(本店・他支店など)へ請求する場合に入力してください。空欄の場合は御社へ請求します。"
        ),
    )
    fee_statement_paper = _wanted_field(_("保証料計算書(紙)について"))

    # What differs between the kinds: the labels that name the kind, and the amount's limits.
    TEXTS: ClassVar[dict[str, dict[str, tuple["StrOrPromise", "StrOrPromise | None"]]]] = {
        Guarantee.Kind.ADVANCE: {
            "requested": (_("前払金保証を申し込む"), None),
            "amount": (
                _("前払金保証金額"),
                _(
                    "請負金額(今年度対象額を入力した場合は今年度対象額)の4割(業務委託は3割)以内です。"
                ),
            ),
            "fee_payment_method": (_("前払金保証料支払方法"), None),
            "fee_billing_address": (_("前払金保証料請求先"), None),
        },
        Guarantee.Kind.CONTRACT: {
            "requested": (_("契約保証を申し込む"), None),
            "amount": (_("契約保証金額"), _("請負金額の1割以上、請負金額以下です。")),
            "fee_payment_method": (_("契約保証料支払方法"), None),
            "fee_billing_address": (_("契約保証料請求先"), None),
        },
    }

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        kwargs["prefix"] = PREFIX[kind]
        super().__init__(*args, **kwargs)
        wanted = {"requested", *KIND_FIELDS[kind]}
        self.fields = {name: field for name, field in self.fields.items() if name in wanted}
        for name, (label, help_text) in self.TEXTS[kind].items():
            self.fields[name].label = label
            if help_text is not None:
                self.fields[name].help_text = help_text

    def add_prefix(self, field_name: str) -> str:
        # "ag_amount", not Django's "ag-amount": the names the page, its script and the rules'
        # error keys have always used.
        return f"{self.prefix}{field_name}"

    @classmethod
    def fields_of(cls, kind: str) -> type[forms.Form]:
        """A form class declaring this form's fields for `kind` under their prefixed names, for
        the application form to inherit."""
        form = cls(kind=kind)
        fields = {form.add_prefix(name): field for name, field in form.fields.items()}
        return type(f"{kind.title()}RequestFields", (forms.Form,), fields)


# The type checker cannot follow bases made by a call (it takes them for Any): forms.Form, a base
# of both already, is named again for it, with the same method resolution order.
class ApplicationForm(
    GuaranteeRequestForm.fields_of(Guarantee.Kind.ADVANCE),  # type: ignore[misc]
    GuaranteeRequestForm.fields_of(Guarantee.Kind.CONTRACT),  # type: ignore[misc]
    forms.Form,
):
    form_token = forms.UUIDField(widget=forms.HiddenInput)

    # 請負工事の情報
    obligee = ObligeeField(
        label=_("発注者"),
        queryset=Obligee.objects.all(),
        required=False,
        help_text=_(
            "発注者名の一部(漢字・かな)を入力し、候補から選択してください(例: 渋川、しぶかわ)。"
        ),
    )
    contract_type = forms.ChoiceField(
        label=_("工事・業務委託"),
        choices=Application.ContractType.choices,
        widget=forms.RadioSelect,
        initial=Application.ContractType.WORKS,
        required=False,  # always has a value; see clean_contract_type
    )
    works_name = forms.CharField(label=_("工事名"), max_length=200, required=False)
    works_place = forms.CharField(label=_("工事場所"), max_length=200, required=False)
    contract_date = JapaneseDateField(label=_("契約日"), required=False)
    period_start = JapaneseDateField(label=_("工期(自)"), required=False)
    period_end = JapaneseDateField(label=_("工期(至)"), required=False)
    contract_amount = YenField(label=_("請負金額(税込)"), required=False)
    this_year_amount = YenField(
        label=_("今年度対象額"),
        required=False,
        help_text=_(
            "複数年度にわたる契約で、前払金が今年度の出来高予定額または支払限度額に対して"
            "支払われる場合に入力してください。"
        ),
    )
    this_year_basis = forms.ChoiceField(
        label=_("今年度対象額の区分"),
        choices=Application.ThisYearBasis.choices,
        widget=forms.RadioSelect,
        required=False,
    )

    # インフォメーション
    branch = forms.ModelChoiceField(
        label=_("申込送信先"),
        queryset=Branch.objects.filter(is_active=True),
        required=False,
        empty_label=_("選択してください"),
    )
    notify_issuance = _wanted_field(
        _("電子保証発行完了のお知らせ"),
        help_text=_("「希望する」場合、弊社手続き完了後にメールを送信します。"),
    )
    notify_email = forms.EmailField(
        label=_("メールアドレス"),
        required=False,
        error_messages={"invalid": _("メールアドレスの形式が正しくありません。")},
    )
    contact_department = forms.CharField(
        label=_("担当部署"),
        max_length=100,
        required=False,
        help_text=_("本件のお問い合わせ先となる部署名を入力してください。"),
    )
    contact_title = forms.CharField(label=_("役職"), max_length=100, required=False)
    contact_person = forms.CharField(label=_("担当者名"), max_length=100, required=False)
    contact_phone = forms.CharField(
        label=_("連絡先電話番号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    message_to_company = forms.CharField(
        label=_("お客様から弊社への連絡事項"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # The page's order (the error summary follows it): the works, then each kind's request.
    field_order = [
        "form_token", "obligee", "contract_type", "works_name", "works_place", "contract_date",
        "period_start", "period_end", "contract_amount", "this_year_amount", "this_year_basis",
        *(
            PREFIX[kind] + name
            for kind in PREFIX
            for name in ["requested", *KIND_FIELDS[kind]]
        ),
    ]  # fmt: skip

    def __init__(self, *args: Any, today: datetime.date, complete: bool, **kwargs: Any) -> None:
        """`complete`: the form must be ready to send (確認へ進む); otherwise a draft is enough."""
        super().__init__(*args, **kwargs)
        self.today = today
        self.complete = complete
        # The fields render through applications/_field.html (the 必須 badge, 円 after amounts).
        self.helper = FormHelper()
        self.helper.field_template = "applications/_field.html"
        for name in filter(self.required_now, self.fields):
            self.fields[name].widget.attrs["aria-required"] = "true"
        # The live check of the dates' range (static/js/date_input.js), as date_error() says.
        earliest, latest = rules.EARLIEST_DATE, rules.latest_date(today)
        for name in rules.CONTRACT_DATES:
            self.fields[name].widget.attrs.update(
                {
                    "data-min": earliest.isoformat(),
                    "data-max": latest.isoformat(),
                    "data-range-error": rules.date_error(
                        earliest - datetime.timedelta(1), today=today
                    ),
                }
            )
        for name, field in self.fields.items():
            if isinstance(field, YenField):
                field.widget.attrs.setdefault("data-yen", name)
            elif isinstance(field, forms.CharField):
                field.validators.append(reject_bidi_controls)

    @property
    def requests(self) -> dict[str, dict[str, forms.BoundField]]:
        """Each kind's request fields by their unprefixed names, for the page's one section
        per kind (applications/_guarantee_request.html)."""
        return {
            kind: {name: self[prefix + name] for name in ["requested", *KIND_FIELDS[kind]]}
            for kind, prefix in PREFIX.items()
        }

    def required_now(self, name: str) -> bool:
        """Whether sending needs field `name` filled in, given what the form says now (the
        script keeps the conditional ones up to date as the user changes the form)."""
        if name in REQUIRED_ON_SEND:
            return True
        condition = REQUIRED_WHEN.get(name)
        return condition is not None and self[condition].value() in (True, "1")

    @classmethod
    def initial_for(cls, application: Application) -> dict[str, Any]:
        """The form's initial data for an existing application and its guarantees."""
        initial = {name: getattr(application, name) for name in APPLICATION_FIELDS}
        initial["form_token"] = application.form_token
        initial["notify_issuance"] = "1" if application.notify_issuance else "0"
        for guarantee in application.guarantees.all():
            prefix = PREFIX[guarantee.kind]
            initial[f"{prefix}requested"] = True
            for name in KIND_FIELDS[guarantee.kind]:
                initial[prefix + name] = getattr(guarantee, name)
            initial[f"{prefix}fee_statement_paper"] = "1" if guarantee.fee_statement_paper else "0"
        return initial

    def live_percentages(self) -> dict[str, str]:
        """The percentages shown beside the amounts when the page loads (the script then keeps
        them up to date as the user types)."""

        def amount(name: str) -> int | None:
            value = self[name].value()
            if isinstance(value, int):
                return value
            try:
                return parse_yen(value or "")
            except ValueError:
                return None

        base = amount("this_year_amount") or amount("contract_amount")
        shares = {
            Guarantee.Kind.ADVANCE: percentage(amount("ag_amount"), base),
            Guarantee.Kind.CONTRACT: percentage(amount("cg_amount"), amount("contract_amount")),
        }
        return {kind: str(share) for kind, share in shares.items() if share is not None}

    @staticmethod
    def amount_limits() -> dict[str, Any]:
        """The caps of the rules, for the script's live warnings: [numerator, denominator]."""
        return {
            "advance_max": {
                contract_type: [cap.numerator, cap.denominator]
                for contract_type, cap in rules.ADVANCE_CAP.items()
            },
            "contract_min": [
                rules.CONTRACT_GUARANTEE_MIN.numerator,
                rules.CONTRACT_GUARANTEE_MIN.denominator,
            ],
        }

    @staticmethod
    def new_token() -> uuid.UUID:
        return uuid.uuid4()

    def clean_contract_type(self) -> str:
        return self.cleaned_data["contract_type"] or Application.ContractType.WORKS

    def clean_ag_deposit_bank(self) -> str:
        return to_fullwidth(self.cleaned_data["ag_deposit_bank"]).strip("\u3000 ")

    def clean_contact_phone(self) -> str:
        value = normalise_phone(self.cleaned_data["contact_phone"])
        if value and (message := rules.phone_error(value)):
            raise forms.ValidationError(message)
        return value

    def _clean_contract_date(self, name: str) -> datetime.date | None:
        value = self.cleaned_data[name]
        if message := rules.date_error(value, today=self.today):
            raise forms.ValidationError(message, code="out_of_range")
        return value

    def clean_contract_date(self) -> datetime.date | None:
        return self._clean_contract_date("contract_date")

    def clean_period_start(self) -> datetime.date | None:
        return self._clean_contract_date("period_start")

    def clean_period_end(self) -> datetime.date | None:
        return self._clean_contract_date("period_end")

    def clean(self) -> dict[str, Any] | None:
        """確認へ進む: every rule's error at once, beside the fields' own (a malformed phone no
        longer hides the amount caps until it is fixed). A rule error on a field that has its
        own error, or that is worked out from one that has, waits for the next round."""
        cleaned = super().clean()
        if self.complete:
            unread = set(self.errors)
            application, guarantees = self.to_instances()
            for key, message in rules.sending_errors(application, guarantees, today=self.today):
                field = self._field_for(key)
                if field in unread or unread.intersection(RULE_INPUTS.get(field or "", ())):
                    continue
                self.add_error(field, message)
        return cleaned

    @property
    def draft_savable(self) -> bool:
        """Whether 下書き保存 can save what did read: the form's token identifies the draft."""
        return "form_token" in self.cleaned_data

    def unsaved_labels(self) -> list[str]:
        """The labels of the fields a draft was saved without (their values did not read)."""
        return [str(self.fields[name].label) for name in self.errors if name in self.fields]

    def application_values(self) -> dict[str, Any]:
        """The application's fields that read; one with an error is left out (a draft keeps
        what it had for it)."""
        return {
            name: self.cleaned_data[name]
            for name in APPLICATION_FIELDS
            if name in self.cleaned_data
        }

    def guarantee_values(self) -> dict[str, dict[str, Any]]:
        """The requested kinds and their fields that read; a kind that is not requested is
        absent."""
        values: dict[str, dict[str, Any]] = {}
        for kind, prefix in PREFIX.items():
            if self.cleaned_data.get(f"{prefix}requested"):
                fields = {
                    name: self.cleaned_data[prefix + name]
                    for name in KIND_FIELDS[kind]
                    if prefix + name in self.cleaned_data
                }
                # One payment method exists today (一括納付); an emptied choice means that one.
                fields["fee_payment_method"] = (
                    fields.get("fee_payment_method") or Guarantee.PaymentMethod.LUMP_SUM
                )
                values[kind] = fields
        return values

    def to_instances(self) -> tuple[Application, list[Guarantee]]:
        """Unsaved instances carrying the form's values, for the rules."""
        application = Application(**self.application_values())
        guarantees = [
            Guarantee(kind=kind, **fields) for kind, fields in self.guarantee_values().items()
        ]
        return application, guarantees

    @staticmethod
    def _field_for(key: rules.FieldKey | None) -> str | None:
        if isinstance(key, tuple):
            kind, name = key
            return PREFIX[kind] + name
        return key
