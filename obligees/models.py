import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.kinds import GuaranteeKind

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
]  # fmt: skip
# JIS X 0401 prefecture codes 1..47, in the order above.
PREFECTURE_CHOICES = [(number, name) for number, name in enumerate(PREFECTURES, start=1)]


class Obligee(models.Model):
    """A public owner of works (発注者) that receives guarantees."""

    class Category(models.TextChoices):
        PREFECTURE = "prefecture", _("都道府県")
        MUNICIPALITY = "municipality", _("市区町村")
        NATIONAL = "national", _("国")
        INDEPENDENT_AGENCY = "independent_agency", _("独立行政法人")
        OTHER = "other", _("その他")

    code = models.CharField(
        _("団体コード"),
        max_length=6,
        unique=True,
        null=True,
        blank=True,
        help_text=_("全国地方公共団体コード(検査数字を含む6桁)"),
    )
    name = models.CharField(_("発注者名"), max_length=100)
    kana = models.CharField(_("フリガナ"), max_length=200, blank=True)
    category = models.CharField(_("区分"), max_length=20, choices=Category.choices)
    prefecture = models.PositiveSmallIntegerField(
        _("都道府県"), choices=PREFECTURE_CHOICES, null=True, blank=True
    )
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    # Set by the obligee's 管理者: every user must sign in with a second factor.
    second_factor_required = models.BooleanField(_("二段階認証を必須にする"), default=False)
    e_advance_since = models.DateField(
        _("電子保証(前払金保証)対応開始日"),
        null=True,
        blank=True,
        help_text=_("空欄は前払金保証の電子保証に対応していないことを表します。"),
    )
    e_contract_since = models.DateField(
        _("電子保証(契約保証)対応開始日"),
        null=True,
        blank=True,
        help_text=_("空欄は契約保証の電子保証に対応していないことを表します。"),
    )

    class Meta:
        ordering = ["prefecture", "code", "name"]
        verbose_name = _("発注者")
        verbose_name_plural = _("発注者")
        indexes = [models.Index(fields=["kana"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def addressee(self) -> str:
        """How a certificate addresses the obligee (被保証者): the head of a local government by
        title, as real certificates do (「渋川市長」「群馬県知事」); any other obligee by name."""
        if self.category == self.Category.PREFECTURE:
            return f"{self.name}知事"
        if self.category == self.Category.MUNICIPALITY:
            return f"{self.name}長"
        return self.name

    def electronic_since(self, kind: str) -> datetime.date | None:
        return self.e_advance_since if kind == GuaranteeKind.ADVANCE else self.e_contract_since

    def accepts_electronic(self, kind: str, on: datetime.date) -> bool:
        """Whether this obligee accepts electronic guarantees of `kind` on the date `on`."""
        since = self.electronic_since(kind)
        return since is not None and since <= on
