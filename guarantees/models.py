import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.kinds import GuaranteeKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What the contractor writes for each kind (and what a copy carries over).
REQUEST_FIELDS = {
    GuaranteeKind.ADVANCE: [
        "certificate_format", "amount", "deposit_bank", "redeposit", "fee_payment_method",
        "fee_billing_address", "fee_statement_paper",
    ],
    GuaranteeKind.CONTRACT: [
        "certificate_format", "amount", "fee_payment_method", "fee_billing_address",
        "fee_statement_paper",
    ],
}  # fmt: skip


class Guarantee(models.Model):
    """One guarantee kind requested by an application, and — once approved — the guarantee itself."""

    Kind = GuaranteeKind

    class Status(models.TextChoices):
        REQUESTED = "requested", _("申込中")
        REVIEWING = "reviewing", _("審査中")
        APPROVED = "approved", _("承諾")
        ISSUED = "issued", _("発行済")
        AMENDED = "amended", _("変更")
        CANCELLED = "cancelled", _("解約")
        EXPIRED = "expired", _("期間満了")

    # The statuses a guarantee stands in (発行済 or 変更): what the branch may amend or cancel,
    # what expires at the period's end, and what the contractor sees as valid.
    IN_FORCE = (Status.ISSUED, Status.AMENDED)
    # Issued once, whatever became of it since: the application is complete when all its
    # guarantees are here.
    ISSUED_OR_LATER = (*IN_FORCE, Status.CANCELLED, Status.EXPIRED)
    # A fee is computed when the branch approves (承諾); every later status keeps it.
    FEE_FIXED = (Status.APPROVED, *ISSUED_OR_LATER)

    class Format(models.TextChoices):
        PAPER = "paper", _("証書(紙)")
        ELECTRONIC = "electronic", _("電子保証(認証キーを含む)")

    class Redeposit(models.TextChoices):
        NOT_USED = "not_used", _("再預託を利用しない")
        USED = "used", _("再預託を利用する")

    class PaymentMethod(models.TextChoices):
        LUMP_SUM = "lump_sum", _("一括納付")

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="guarantees"
    )
    kind = models.CharField(_("保証の種類"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("手続状況"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    number = models.CharField(_("保証契約番号"), max_length=24, unique=True, null=True, blank=True)
    certificate_format = models.CharField(
        _("保証証書の形式"), max_length=12, choices=Format.choices, default=Format.PAPER
    )
    amount = models.PositiveBigIntegerField(_("保証金額"), null=True, blank=True)
    # Advance-payment guarantees only.
    deposit_bank = models.CharField(_("預託金融機関"), max_length=100, blank=True)
    redeposit = models.CharField(
        _("再預託利用区分"), max_length=10, choices=Redeposit.choices, blank=True
    )
    fee_payment_method = models.CharField(
        _("保証料支払方法"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.LUMP_SUM,
    )
    fee_billing_address = models.CharField(_("保証料請求先"), max_length=200, blank=True)
    fee_statement_paper = models.BooleanField(_("保証料計算書(紙)"), default=False)
    fee = models.PositiveBigIntegerField(_("保証料"), null=True, blank=True)
    fee_breakdown = models.JSONField(_("保証料の計算内訳"), null=True, blank=True)
    approved_at = models.DateTimeField(_("承諾日時"), null=True, blank=True)
    # When staff asked for issuance (発行). An approved electronic guarantee with this set and no
    # certificate is owed one: the periodic sweep issues it if the queued task never ran.
    issue_requested_at = models.DateTimeField(_("発行指示日時"), null=True, blank=True)
    # The worker gave up on that request (its last retry failed): when, and the error, for the
    # branch to read beside 発行失敗 and to try again (issuance.issue_retry clears both).
    issue_failed_at = models.DateTimeField(_("発行失敗日時"), null=True, blank=True)
    issue_failure_reason = models.TextField(_("発行失敗の理由"), blank=True)
    # 解約: the date the guarantee ended by agreement, and why (the branch's record).
    cancelled_on = models.DateField(_("解約日"), null=True, blank=True)
    cancel_reason = models.TextField(_("解約の理由"), blank=True)

    # Not columns: what selectors.with_certificates() sets on the guarantees it reads.
    current_certificate: "Certificate | None"
    earlier_certificates: list["Certificate"]
    received_at: datetime.datetime | None
    key_available: bool

    class Meta:
        ordering = ["application_id", "kind"]
        verbose_name = _("保証")
        verbose_name_plural = _("保証")
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="guarantee_one_per_kind"),
            models.CheckConstraint(
                name="guarantee_amount_positive",
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
            ),
            models.CheckConstraint(
                name="guarantee_number_once_approved",
                condition=Q(status__in=["requested", "reviewing"]) | Q(number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or ''}".strip()

    @property
    def is_electronic(self) -> bool:
        return self.certificate_format == self.Format.ELECTRONIC

    def issue_refusal(self, printed: bool = False) -> "StrOrPromise | None":
        """Why the branch cannot issue (発行) this guarantee now, or None if it can.

        `printed`: a paper certificate is already rendered for printing (awaiting handover).
        """
        if self.status != self.Status.APPROVED:
            return _("%(status)sの保証は発行できません(発行できるのは承諾した保証です)。") % {
                "status": self.get_status_display()
            }
        if self.is_electronic and self.issue_requested_at is not None:
            return _("この電子保証はすでに発行処理中です。")
        if not self.is_electronic and printed:
            return _("この証書(紙)はすでに印刷用に作成されています。交付を記録してください。")
        return None

    def handover_refusal(self, printed: bool) -> "StrOrPromise | None":
        """Why the branch cannot record the handover (交付を記録) of this guarantee's paper
        certificate now, or None if it can: an approved paper guarantee whose certificate is
        rendered for printing (`printed`)."""
        if self.status != self.Status.APPROVED or self.is_electronic or not printed:
            return _("交付を記録できるのは、印刷用に作成した承諾済みの証書(紙)です。")
        return None

    @property
    def issuance_state(self) -> str | None:
        """Where a requested electronic issuance stands before the certificate exists:
        "pending" (発行処理中: queued or running), "failed" (発行失敗: the worker gave up), or
        None (nothing requested, or issued)."""
        return issuance_state(
            status=self.status,
            certificate_format=self.certificate_format,
            issue_requested_at=self.issue_requested_at,
            issue_failed_at=self.issue_failed_at,
        )

    def retry_refusal(self) -> "StrOrPromise | None":
        """Why the branch cannot ask again for a failed electronic issuance, or None if it can."""
        if self.issuance_state != "failed":
            return _("再発行を試みることができるのは、発行に失敗した電子保証です。")
        return None

    def amend_refusal(self, *, today: datetime.date) -> "StrOrPromise | None":
        """Why the branch cannot amend (変更) this guarantee now, or None if it can."""
        if self.status not in self.IN_FORCE:
            return _("%(status)sの保証は変更できません(変更できるのは発行済の保証です)。") % {
                "status": self.get_status_display()
            }
        if self.amendment_pending:
            return _("この保証はすでに変更の発行処理中です。発行の完了をお待ちください。")
        if self.guarantee_period_end is not None and self.guarantee_period_end < today:
            return _("保証期間が終了しているため変更できません。")
        return None

    def cancel_refusal(self) -> "StrOrPromise | None":
        """Why the branch cannot cancel (解約) this guarantee now, or None if it can."""
        if self.status not in self.IN_FORCE:
            return _("%(status)sの保証は解約できません(解約できるのは発行済の保証です)。") % {
                "status": self.get_status_display()
            }
        if self.amendment_pending:
            return _("変更の発行処理中は解約できません。発行の完了後に解約してください。")
        return None

    @property
    def amendment_pending(self) -> bool:
        """Whether an amendment waits for the worker to issue its version."""
        return self.amendments.filter(certificate__isnull=True).exists()

    @property
    def current_version(self) -> "Certificate | None":
        """The certificate version in force (not superseded), or None before issuance."""
        return self.certificates.filter(superseded_at__isnull=True).order_by("-version").first()

    @property
    def guarantee_period_end(self) -> datetime.date | None:
        """The end of the guarantee period the version in force states (None before issuance)."""
        current = self.current_version
        end = current.snapshot.get("guarantee_period", {}).get("end") if current else None
        return datetime.date.fromisoformat(end) if end else None


def issuance_state(
    *,
    status: str,
    certificate_format: str,
    issue_requested_at: datetime.datetime | None,
    issue_failed_at: datetime.datetime | None,
) -> str | None:
    """Guarantee.issuance_state from the column values (lists read guarantees as values)."""
    if (
        status != Guarantee.Status.APPROVED
        or certificate_format != Guarantee.Format.ELECTRONIC
        or issue_requested_at is None
    ):
        return None
    return "failed" if issue_failed_at is not None else "pending"


class Certificate(models.Model):
    """One version of a certificate (保証証書). An amendment adds a version.

    Electronic versions are signed PDFs with an authentication key; paper versions are the same
    document unsigned, printed by the branch and handed over (handed_over_at).
    """

    guarantee = models.ForeignKey(Guarantee, on_delete=models.PROTECT, related_name="certificates")
    version = models.PositiveSmallIntegerField(_("版"))
    certificate_format = models.CharField(
        _("保証証書の形式"), max_length=12, choices=Guarantee.Format.choices
    )
    # The public verification address /verify/<token>/ printed as a QR code: 128 random bits.
    verify_token = models.CharField(max_length=32, unique=True)
    # A frozen copy of every value the certificate states (guarantees.snapshot), as issued.
    snapshot = models.JSONField(_("証書記載事項"))
    # Two dates the snapshot states, kept as columns of their own (stated_dates): the obligee's
    # search by 発行日 and the nightly 期間満了 sweep compare them by range, which a JSON value
    # cannot do on SQLite and which an index serves on either backend.
    issued_on = models.DateField(_("発行日"), db_index=True)
    period_end = models.DateField(_("保証期間(至)"), null=True, blank=True, db_index=True)
    pdf = models.FileField(_("証書PDF"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # The authentication key (electronic only): a keyed hash for lookup, and the key encrypted so
    # the contractor can display it again. The key itself is never stored in clear.
    key_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    key_encrypted = models.TextField(blank=True)
    issued_at = models.DateTimeField(_("発行日時"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("発行者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Paper only: when the branch recorded that the printed certificate was handed over.
    handed_over_at = models.DateTimeField(_("交付日時"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("変更日時"), null=True, blank=True)
    # Electronic only: until when the newest timestamp of the stored file proves it (its TSA
    # certificate's expiry). The renewal task selects by a range on it, never by parsing files;
    # empty for a file without a document timestamp (signed B-T, before long-term signatures),
    # which the renewal brings up to B-LTA. `pdf` is then the renewed file; `sha256` stays that
    # of the signed revision, the file as issued, which every later copy starts with.
    proven_until = models.DateTimeField(_("証明期限"), null=True, blank=True, db_index=True)
    renewed_at = models.DateTimeField(_("タイムスタンプ更新日時"), null=True, blank=True)
    # The SHA-256 of the renewed file `pdf` names (blank: the file as issued, `sha256`): a stored
    # file changed behind our back is refused rather than stamped over.
    file_sha256 = models.CharField(max_length=64, blank=True)
    # A renewed file written (or being written) under a new name and not recorded yet, with the
    # SHA-256 it must have: a run killed before recording it is finished by the next one.
    pending_pdf = models.CharField(max_length=200, blank=True)
    pending_sha256 = models.CharField(max_length=64, blank=True)
    # The file a renewal replaced, until it is deleted (kept while the new one is not recorded).
    replaced_pdf = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["guarantee_id", "version"]
        verbose_name = _("保証証書")
        verbose_name_plural = _("保証証書")
        constraints = [
            models.UniqueConstraint(
                fields=["guarantee", "version"], name="certificate_one_per_version"
            ),
            models.CheckConstraint(
                name="certificate_version_positive", condition=Q(version__gte=1)
            ),
            models.CheckConstraint(
                name="certificate_superseded_after_issue",
                condition=Q(superseded_at__isnull=True) | Q(superseded_at__gte=F("issued_at")),
            ),
            # A key belongs to exactly the electronic versions: each has one, no paper one has.
            models.CheckConstraint(
                name="certificate_key_iff_electronic",
                condition=(
                    Q(certificate_format="electronic", key_digest__isnull=False)
                    & ~Q(key_encrypted="")
                )
                | Q(certificate_format="paper", key_digest__isnull=True, key_encrypted=""),
            ),
            models.CheckConstraint(
                name="certificate_handover_only_paper",
                condition=Q(handed_over_at__isnull=True) | Q(certificate_format="paper"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guarantee} v{self.version}"

    @staticmethod
    def stated_dates(snapshot: dict[str, Any]) -> dict[str, datetime.date | None]:
        """The column values (issued_on, period_end) of a version stating `snapshot`: pass
        them with it whenever a version is created."""
        end = (snapshot.get("guarantee_period") or {}).get("end")
        return {
            "issued_on": datetime.date.fromisoformat(snapshot["issued_on"]),
            "period_end": datetime.date.fromisoformat(end) if end else None,
        }

    @property
    def is_electronic(self) -> bool:
        return self.certificate_format == Guarantee.Format.ELECTRONIC


class Receipt(models.Model):
    """受領: an obligee registered a certificate version with its number and key. Never deleted
    (the obligee keeps what it received, SPEC §7)."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("保証証書")
    )
    obligee = models.ForeignKey(
        "obligees.Obligee",
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("発注者"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受領者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("受領日時"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("受領")
        verbose_name_plural = _("受領")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "obligee"], name="receipt_once_per_obligee"
            )
        ]
        indexes = [models.Index(fields=["obligee", "-received_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.certificate} → {self.obligee}"


class Amendment(models.Model):
    """変更: the branch's change of an issued guarantee, made a new certificate version (with a new
    key, for electronic ones) by the worker. Pending until `certificate` is set; a guarantee has at
    most one pending amendment."""

    guarantee = models.ForeignKey(
        Guarantee, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("保証")
    )
    # The confirmation page's token: the same confirmation posted twice records one amendment.
    token = models.UUIDField(unique=True)
    # The changed values only, by field name (guarantees.lifecycle.AMENDABLE): dates ISO, yen whole.
    changes = models.JSONField(_("変更内容"))
    reason = models.TextField(_("変更の理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("変更者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("変更指示日時"))
    certificate = models.OneToOneField(
        Certificate,
        verbose_name=_("変更後の保証証書"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendment",
    )

    class Meta:
        ordering = ["guarantee_id", "requested_at"]
        verbose_name = _("変更")
        verbose_name_plural = _("変更")
        constraints = [
            models.UniqueConstraint(
                fields=["guarantee"],
                condition=Q(certificate__isnull=True),
                name="amendment_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.guarantee} ({self.requested_at:%Y-%m-%d})"


class RenewalRun(models.Model):
    """One run of the renewal of document timestamps (guarantees.renewal): when, how many
    certificates it renewed, skipped and failed, and why each failure failed. Written by the
    task only; the admin shows it read-only."""

    started_at = models.DateTimeField(_("開始日時"), db_index=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    # The margin the run applied: certificates proven until before started_at + margin were due.
    margin_days = models.PositiveIntegerField(_("更新の余裕(日)"))
    renewed = models.PositiveIntegerField(_("更新"), default=0)
    # Of the renewed: certificates signed B-T, brought up to B-LTA.
    upgraded = models.PositiveIntegerField(_("うちB-LTA化"), default=0)
    skipped = models.PositiveIntegerField(_("対象外"), default=0)
    failed = models.PositiveIntegerField(_("失敗"), default=0)
    # [{"certificate": id, "name": "GM-2026-000001 第1版", "reason": "..."}], the first
    # FAILURES_KEPT of them.
    failures = models.JSONField(_("失敗の内容"), default=list, blank=True)
    # A problem of the whole run (e.g. the TSA certificate itself expires within the margin).
    note = models.TextField(_("備考"), blank=True)

    FAILURES_KEPT = 200

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("タイムスタンプ更新の実行")
        verbose_name_plural = _("タイムスタンプ更新の実行")

    def __str__(self) -> str:
        return f"{self.started_at:%Y/%m/%d %H:%M}"
