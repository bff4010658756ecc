import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.postgres import PostgreSQLGinIndex, PostgreSQLIndex
from guarantees.models import Guarantee

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What the contractor writes in the form (and what a copy carries over).
REQUEST_FIELDS = [
    "obligee", "contract_type", "works_name", "works_place", "contract_date", "period_start",
    "period_end", "contract_amount", "this_year_amount", "this_year_basis", "branch",
    "notify_issuance", "notify_email", "contact_department", "contact_title", "contact_person",
    "contact_phone", "message_to_company",
]  # fmt: skip


class Application(models.Model):
    """A contractor's request (申込) for one or both guarantee kinds on one works contract."""

    class Status(models.TextChoices):
        # 受付 is the branch's action on a sent application, not a status of its own: it starts
        # the review, so its result is 審査中 (README, "Branch processing").
        DRAFT = "draft", _("作成中")
        SENT = "sent", _("送信済")
        REVIEWING = "reviewing", _("審査中")
        COMPLETED = "completed", _("完了")
        RETURNED = "returned", _("差戻し")
        WITHDRAWN = "withdrawn", _("取下げ")

    class ContractType(models.TextChoices):
        WORKS = "works", _("工事")
        CONSULTING = "consulting", _("業務委託")

    class ThisYearBasis(models.TextChoices):
        PLANNED_WORK = "planned_work", _("出来高予定額")
        PAYMENT_LIMIT = "payment_limit", _("支払限度額")

    # Statuses in which the contractor may still change what the application says.
    EDITABLE = (Status.DRAFT, Status.RETURNED)
    # What the branch has to act on: the admin list opens on these.
    WORK_TO_DO = (Status.SENT, Status.REVIEWING)
    # The branch may return an application while it is sent or in review (and nothing approved).
    RETURNABLE = (Status.SENT, Status.REVIEWING)
    # Guarantee statuses before the branch's decision: once one is approved, no return.
    UNDECIDED_GUARANTEE = (Guarantee.Status.REQUESTED, Guarantee.Status.REVIEWING)

    contractor = models.ForeignKey(
        "accounts.Contractor",
        verbose_name=_("請負者"),
        on_delete=models.PROTECT,
        related_name="applications",
        # Served by the indexes below that start with it (Meta.indexes, the form token's).
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("申込番号"), max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(
        _("手続状況"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    # Set by the form the draft was first saved from: a second POST of the same blank form (a
    # double click, a retry) finds this draft instead of creating another one. Unique per
    # company: a token is looked up only among the company's own applications, so another
    # company's token is just an unknown one.
    form_token = models.UUIDField(default=uuid.uuid4, editable=False)
    copied_from = models.ForeignKey(
        "self", verbose_name=_("複写元"), on_delete=models.SET_NULL, null=True, blank=True
    )

    # 請負工事の情報 — blank while a draft; required on sending (checked by the form).
    obligee = models.ForeignKey(
        "obligees.Obligee",
        verbose_name=_("発注者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    contract_type = models.CharField(
        _("工事・業務委託"), max_length=12, choices=ContractType.choices, default=ContractType.WORKS
    )
    works_name = models.CharField(_("工事名"), max_length=200, blank=True)
    works_place = models.CharField(_("工事場所"), max_length=200, blank=True)
    contract_date = models.DateField(_("契約日"), null=True, blank=True)
    period_start = models.DateField(_("工期(自)"), null=True, blank=True)
    period_end = models.DateField(_("工期(至)"), null=True, blank=True)
    contract_amount = models.PositiveBigIntegerField(_("請負金額(税込)"), null=True, blank=True)
    this_year_amount = models.PositiveBigIntegerField(_("今年度対象額"), null=True, blank=True)
    this_year_basis = models.CharField(
        _("今年度対象額の区分"), max_length=16, choices=ThisYearBasis.choices, blank=True
    )

    # インフォメーション
    branch = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("申込送信先"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        db_index=False,  # served by the admin's indexes, which all start with it
    )
    notify_issuance = models.BooleanField(_("電子保証発行完了のお知らせ"), default=False)
    notify_email = models.EmailField(_("メールアドレス"), blank=True)

    # 連絡先
    contact_department = models.CharField(_("担当部署"), max_length=100, blank=True)
    contact_title = models.CharField(_("役職"), max_length=100, blank=True)
    contact_person = models.CharField(_("担当者名"), max_length=100, blank=True)
    contact_phone = models.CharField(_("連絡先電話番号"), max_length=20, blank=True)
    message_to_company = models.TextField(_("お客様から弊社への連絡事項"), blank=True)

    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    # Who sent it (last): the status e-mails go to this user's own account address.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("送信者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # Set on the copy selectors.application_as_stated() makes: the certificate version whose
    # works values it shows. Never saved; absent from an application read from the database.
    stated_version: int

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("保証申込")
        verbose_name_plural = _("保証申込")
        permissions = [
            # Head office (本店) processes the applications of every branch; other staff only
            # those sent to their own branch.
            ("view_all_branches", _("全営業部・支店の申込を扱う")),
        ]
        indexes = [
            models.Index(fields=["contractor", "-updated_at", "-id"]),
            # The admin lists what was sent, newest first: per branch, and for head office.
            models.Index(
                fields=["branch", "-sent_at", "-id"],
                condition=~Q(status="draft"),
                name="application_branch_sent_idx",
            ),
            models.Index(
                fields=["-sent_at", "-id"],
                condition=~Q(status="draft"),
                name="application_sent_idx",
            ),
            # The list opens on the work to do (送信済, 審査中), newest first: per branch and for
            # head office, without walking past the completed and withdrawn ones.
            models.Index(
                fields=["branch", "-sent_at", "-id"],
                condition=Q(status__in=["sent", "reviewing"]),
                name="application_branch_todo_idx",
            ),
            models.Index(
                fields=["-sent_at", "-id"],
                condition=Q(status__in=["sent", "reviewing"]),
                name="application_todo_idx",
            ),
            # ... and filtered by status (受付待ち, 審査中 ...), the work queue of a branch.
            models.Index(
                fields=["branch", "status", "-sent_at", "-id"], name="application_branch_status_idx"
            ),
            # The admin's search by works name (工事名) is `works_name LIKE '%term%'`, which no
            # B-tree serves. On PostgreSQL only (core.postgres; SQLite, the development
            # database, is small):
            # - a trigram index finds a term of three characters or more among every branch's
            #   applications, however few have it (a works name, a place name);
            PostgreSQLGinIndex(
                fields=["works_name"],
                opclasses=["gin_trgm_ops"],
                name="application_works_name_trgm_idx",
            ),
            # - a term of two characters, the length of most Japanese words (護岸, 舗装), has no
            #   trigram, so no trigram index serves it; a branch's list then reads its
            #   applications from this covering index (with the columns the search and the
            #   status filter look at), index only, instead of the table, until the list's
            #   count (at most 2,000) is reached.
            PostgreSQLIndex(
                fields=["branch"],
                include=["status", "works_name", "contractor", "obligee"],
                condition=~Q(status="draft"),
                name="application_branch_search_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "form_token"], name="application_form_token_per_contractor"
            ),
            models.CheckConstraint(
                name="application_sent_has_number",
                condition=Q(status="draft") | Q(number__isnull=False),
            ),
            models.CheckConstraint(
                name="application_contract_amount_positive",
                condition=Q(contract_amount__isnull=True) | Q(contract_amount__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.get_status_display()} #{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_withdrawable(self) -> bool:
        return self.status == self.Status.SENT

    @property
    def is_with_branch(self) -> bool:
        """Whether the branch has it (sent, whatever became of it since). A draft is the
        contractor's own business: staff neither list it (selectors.applications_for_staff) nor
        act on its guarantees (guarantees.locking)."""
        return self.status != self.Status.DRAFT

    # The branch's transitions (SPEC §4). Each rule is written here once: the services refuse
    # with the reason, the admin offers an action only when the reason is None. The rules that
    # look at the guarantees read `self.guarantees.all()`, so a prefetch serves them.

    def accept_refusal(self) -> "StrOrPromise | None":
        """Why the branch cannot accept (受付) the application now, or None if it can."""
        if self.status != self.Status.SENT:
            return _("%(status)sの申込は受付できません(受付できるのは送信済の申込です)。") % {
                "status": self.get_status_display()
            }
        return None

    def return_refusal(self) -> "StrOrPromise | None":
        """Why the branch cannot return (差戻し) the application now, or None if it can."""
        if self.status not in self.RETURNABLE:
            return _("%(status)sの申込は差し戻せません。") % {"status": self.get_status_display()}
        if any(g.status not in self.UNDECIDED_GUARANTEE for g in self.guarantees.all()):
            return _("承諾済みの保証がある申込は差し戻せません。")
        return None

    def message_refusal(self) -> "StrOrPromise | None":
        """Why the branch cannot write to the contractor (or a note) about it, or None."""
        if self.status == self.Status.DRAFT:
            return _("作成中の申込にはお知らせを送れません。")
        return None

    def approve_refusal(self, guarantee: Guarantee) -> "StrOrPromise | None":
        """Why the branch cannot approve (承諾) `guarantee` of this application, or None."""
        if self.status != self.Status.REVIEWING:
            return _(
                "%(status)sの申込の保証は承諾できません(受付後の審査中の申込のみ承諾できます)。"
            ) % {"status": self.get_status_display()}
        if guarantee.status != Guarantee.Status.REVIEWING:
            return _("この%(kind)sはすでに%(status)sです。") % {
                "kind": guarantee.get_kind_display(),
                "status": guarantee.get_status_display(),
            }
        return None

    @property
    def can_accept(self) -> bool:
        return self.accept_refusal() is None

    @property
    def can_return(self) -> bool:
        return self.return_refusal() is None

    @property
    def can_message(self) -> bool:
        return self.message_refusal() is None

    @property
    def approvable_guarantees(self) -> list[Guarantee]:
        """The guarantees the branch may approve now (one 承諾 button each)."""
        return [g for g in self.guarantees.all() if self.approve_refusal(g) is None]

    @property
    def issuable_guarantees(self) -> list[Guarantee]:
        """The guarantees the branch may issue (発行) now (one 発行 button each)."""
        return [
            g
            for g in self.guarantees.all()
            if g.issue_refusal(printed=g.certificates.exists()) is None
        ]

    @property
    def printed_guarantees(self) -> list[Guarantee]:
        """Paper guarantees rendered for printing and not yet handed over (交付を記録)."""
        return [
            g
            for g in self.guarantees.all()
            if g.handover_refusal(printed=g.certificates.exists()) is None
        ]

    @property
    def amendable_guarantees(self) -> list[Guarantee]:
        """Issued guarantees the branch may amend (変更) now."""
        today = timezone.localdate()
        return [g for g in self.guarantees.all() if g.amend_refusal(today=today) is None]

    @property
    def cancellable_guarantees(self) -> list[Guarantee]:
        """Issued guarantees the branch may cancel (解約) now."""
        return [g for g in self.guarantees.all() if g.cancel_refusal() is None]

    # What the guarantees' services write here, holding the application's row lock
    # (guarantees.locking). With update(): the row shows the very moment the guarantee's change
    # records (save() would stamp its own, auto_now), and no other column is written back.

    def guarantee_approved(self, *, now: datetime.datetime) -> None:
        """One of its guarantees was approved (承諾) at `now`: 申込一覧 lists it as changed."""
        self._write(updated_at=now)

    def guarantee_issued(self, *, now: datetime.datetime) -> None:
        """One of its guarantees was issued (発行済) at `now`: changed then, and 完了 once every
        guarantee has been issued, whatever became of it since (Guarantee.ISSUED_OR_LATER)."""
        statuses = set(self.guarantees.values_list("status", flat=True))
        if statuses and statuses <= set(Guarantee.ISSUED_OR_LATER):
            self._write(updated_at=now, status=self.Status.COMPLETED)
        else:
            self._write(updated_at=now)

    def _write(self, **values: object) -> None:
        Application.objects.filter(pk=self.pk).update(**values)
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def base_amount(self) -> int | None:
        """The amount the advance-payment cap is measured against (SPEC §3)."""
        return self.this_year_amount or self.contract_amount


class CompanyMessage(models.Model):
    """A message from the surety company to the contractor (弊社からお客様へのお知らせ)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="company_messages"
    )
    body = models.TextField(_("本文"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("弊社からお客様へのお知らせ")
        verbose_name_plural = _("弊社からお客様へのお知らせ")

    def __str__(self) -> str:
        return self.body[:40]
