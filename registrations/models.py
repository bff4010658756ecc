import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long the confirmation link e-mailed to the applicant works.
CONFIRMATION_VALIDITY = datetime.timedelta(hours=24)

# The 47 prefectures in the order of their JIS codes (01 北海道 … 47 沖縄県): whose governor (知事)
# gave a 建設業許可.
PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
]  # fmt: skip
PREFECTURE_CHOICES = [(f"{code:02d}", name) for code, name in enumerate(PREFECTURES, start=1)]


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def confirmed(self) -> "RegistrationQuerySet":
        """What reaches the branch: applications whose e-mail address was confirmed."""
        return self.exclude(status=Registration.Status.UNCONFIRMED)

    def waiting(self) -> "RegistrationQuerySet":
        """Confirmed and not yet decided: the branch's work."""
        return self.filter(status=Registration.Status.WAITING)


class Registration(models.Model):
    """A contractor company's application to use Net Desk (利用申込).

    It is made by anyone, unsigned; the address typed is confirmed first by a link e-mailed to it
    (its token stored as a SHA-256 digest, working once and for CONFIRMATION_VALIDITY), and only
    then does the registration reach the branch chosen, which approves it — the company found or
    created, the applicant invited as its first 管理者 — or refuses it with a reason.
    """

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("メールアドレス確認待ち")
        WAITING = "waiting", _("審査待ち")
        APPROVED = "approved", _("承認済")
        REFUSED = "refused", _("お断り")

    class PermitAuthority(models.TextChoices):
        MINISTER = "minister", _("国土交通大臣")
        GOVERNOR = "governor", _("都道府県知事")

    class PermitKind(models.TextChoices):
        GENERAL = "general", _("一般")
        SPECIAL = "special", _("特定")

    status = models.CharField(
        _("状況"), max_length=16, choices=Status.choices, default=Status.UNCONFIRMED
    )
    company_name = models.CharField(_("商号"), max_length=100)
    company_kana = models.CharField(_("フリガナ"), max_length=100)
    corporate_number = models.CharField(_("法人番号"), max_length=13, db_index=True)
    permit_authority = models.CharField(
        _("許可行政庁"), max_length=16, choices=PermitAuthority.choices
    )
    permit_prefecture = models.CharField(
        _("許可した知事の都道府県"), max_length=2, choices=PREFECTURE_CHOICES, blank=True
    )
    permit_kind = models.CharField(_("一般・特定"), max_length=16, choices=PermitKind.choices)
    permit_number = models.PositiveIntegerField(_("許可番号"))
    address = models.CharField(_("所在地"), max_length=200)
    representative = models.CharField(_("代表者"), max_length=100)
    branch = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("担当営業部・支店"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    applicant_name = models.CharField(_("担当者名"), max_length=100)
    applicant_department = models.CharField(_("担当部署"), max_length=100, blank=True)
    applicant_phone = models.CharField(_("連絡先電話番号"), max_length=20)
    applicant_email = models.EmailField(_("メールアドレス"), max_length=254, db_index=True)

    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("申込日時"), default=timezone.now)
    expires_at = models.DateTimeField(_("確認の有効期限"))
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    decided_at = models.DateTimeField(_("処理日時"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("処理した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    refusal_reason = models.TextField(_("お断りの理由"), blank=True)
    contractor = models.ForeignKey(
        "accounts.Contractor",
        verbose_name=_("請負者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("利用申込")
        verbose_name_plural = _("利用申込")
        constraints = [
            # A governor's permit names the prefecture; the Minister's names none.
            models.CheckConstraint(
                name="registration_permit_prefecture",
                condition=Q(permit_authority="minister", permit_prefecture="")
                | (Q(permit_authority="governor") & ~Q(permit_prefecture="")),
            ),
            # An approved registration names the company it was approved for; no other does.
            models.CheckConstraint(
                name="registration_company_iff_approved",
                condition=Q(status="approved", contractor__isnull=False)
                | (~Q(status="approved") & Q(contractor__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return self.company_name

    @property
    def confirmation_expired(self) -> bool:
        return self.status == self.Status.UNCONFIRMED and self.expires_at <= timezone.now()

    @property
    def permit_display(self) -> str:
        """The permit as certificates of it print it: 群馬県知事 許可(般)第012345号."""
        authority = (
            self.get_permit_prefecture_display() + "知事"
            if self.permit_authority == self.PermitAuthority.GOVERNOR
            else str(self.PermitAuthority.MINISTER.label)
        )
        kind = "般" if self.permit_kind == self.PermitKind.GENERAL else "特"
        return f"{authority} 許可({kind})第{self.permit_number:06d}号"
