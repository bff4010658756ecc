from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Branch(models.Model):
    """An office of the surety company (営業部・支店) that receives and processes applications."""

    code = models.CharField(_("支店コード"), max_length=8, unique=True)
    name = models.CharField(_("営業部・支店名"), max_length=100)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    is_active = models.BooleanField(_("申込受付中"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("営業部・支店")
        verbose_name_plural = _("営業部・支店")

    def __str__(self) -> str:
        return self.name


class Contractor(models.Model):
    """A construction company (請負者) whose users apply for guarantees."""

    name = models.CharField(_("商号"), max_length=200)
    kana = models.CharField(_("フリガナ"), max_length=200, blank=True)
    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True)
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    representative = models.CharField(_("代表者"), max_length=100, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    home_branch = models.ForeignKey(
        Branch, verbose_name=_("担当営業部・支店"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        ordering = ["kana", "name"]
        verbose_name = _("請負者")
        verbose_name_plural = _("請負者")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an e-mail address.

    Exactly one persona: a contractor user (contractor set), an obligee user (obligee set) or
    surety company staff (is_staff, usually with a branch).
    """

    # No user name: the e-mail address signs in. AbstractUser declares it a str field, so the
    # type checker is told that this model removes it.
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("メールアドレス"), unique=True)
    full_name = models.CharField(_("氏名"), max_length=100, blank=True)
    contractor = models.ForeignKey(
        Contractor,
        verbose_name=_("請負者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    obligee = models.ForeignKey(
        "obligees.Obligee",
        verbose_name=_("発注者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("所属営業部・支店"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # AbstractUser's manager creates users by user name; this one by e-mail address.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")
        constraints = [
            models.CheckConstraint(
                name="user_single_persona",
                condition=~(Q(contractor__isnull=False) & Q(obligee__isnull=False))
                & ~(Q(is_staff=True) & (Q(contractor__isnull=False) | Q(obligee__isnull=False))),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def name_in_organisation(self) -> str:
        """The name without the organisation's own at its start: 「契約検査課 担当」 for a user of
        渋川市 named 「渋川市 契約検査課 担当」, so that the header does not say 渋川市 twice."""
        organisation = self.obligee or self.contractor
        name = str(self)
        if organisation is not None and name.startswith(organisation.name):
            name = name[len(organisation.name) :].strip()
        return name

    def get_short_name(self) -> str:
        """How pages greet the user (the admin's header among them): by name, else the address.
        AbstractUser's would be first_name, which these accounts leave empty."""
        return self.full_name or self.email

    @property
    def is_contractor_user(self) -> bool:
        return self.contractor_id is not None

    @property
    def is_obligee_user(self) -> bool:
        return self.obligee_id is not None
