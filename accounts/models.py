from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
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
    # Set by the company's 管理者: every user must sign in with a second factor (those without
    # one are led to set it up before anything else).
    second_factor_required = models.BooleanField(_("二段階認証を必須にする"), default=False)

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


# The roles of each persona, in the order forms offer them (the least powerful last).
CONTRACTOR_ROLES = ["admin", "applicant", "viewer"]
OBLIGEE_ROLES = ["admin", "clerk"]


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

    class Role(models.TextChoices):
        """What a person may do in their organisation. Contractor users take one of 管理者,
        申込担当 and 閲覧のみ; obligee users 管理者 or 担当者; staff none (their rights are the
        admin's groups)."""

        ADMIN = "admin", _("管理者")
        APPLICANT = "applicant", _("申込担当")
        VIEWER = "viewer", _("閲覧のみ")
        CLERK = "clerk", _("担当者")

    role = models.CharField(_("役割"), max_length=16, choices=Role.choices, blank=True, default="")
    # Raised to end every session of the user at once (deactivation): it is part of the hash each
    # session carries, like the password, so an old session no longer matches even after the
    # user is reactivated.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

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
            ),
            # Each persona takes only its own roles: a role that means nothing for the user's
            # organisation (an obligee's 申込担当) cannot be stored, whichever path wrote it.
            models.CheckConstraint(
                name="user_role_fits_persona",
                condition=(
                    Q(contractor__isnull=False, role__in=CONTRACTOR_ROLES)
                    | Q(obligee__isnull=False, role__in=OBLIGEE_ROLES)
                    | Q(contractor__isnull=True, obligee__isnull=True, role="")
                ),
            ),
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

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        if not self.session_generation:
            # Unchanged for users never signed out this way: no session ends when this ships.
            # (Django's private method, which its type stubs leave out)
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def roles_offered(self) -> list[tuple[str, str]]:
        """The roles (value, label) this user's organisation gives its people."""
        values = (
            CONTRACTOR_ROLES
            if self.contractor_id is not None
            else OBLIGEE_ROLES
            if self.obligee_id is not None
            else []
        )
        return [(value, str(self.Role(value).label)) for value in values]

    def clean(self) -> None:
        super().clean()
        offered = [value for value, _label in self.roles_offered()]
        if offered and self.role not in offered:
            raise ValidationError(
                {"role": _("所属する組織に合った役割を選んでください。")}, code="role"
            )
        if not offered and self.role:
            raise ValidationError(
                {"role": _("請負者・発注者の利用者だけが役割を持ちます。")}, code="role"
            )

    @property
    def is_contractor_user(self) -> bool:
        return self.contractor_id is not None

    @property
    def is_obligee_user(self) -> bool:
        return self.obligee_id is not None


class EmailChange(models.Model):
    """A request to change a user's e-mail address, waiting for the link sent to the new address.

    Only the SHA-256 digest of the link's token is stored. The link works once (used_at, set by a
    conditional UPDATE), until expires_at, and only while the account still has the address it
    had when the change was asked for (old_email).
    """

    user = models.ForeignKey(
        User, verbose_name=_("利用者"), on_delete=models.CASCADE, related_name="email_changes"
    )
    old_email = models.EmailField(_("変更前のメールアドレス"))
    new_email = models.EmailField(_("新しいメールアドレス"))
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("依頼日時"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("変更日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("メールアドレスの変更")
        verbose_name_plural = _("メールアドレスの変更")

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email}"
