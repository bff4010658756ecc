import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CONTRACTOR_ROLES, OBLIGEE_ROLES, User

INVITATION_VALIDITY = datetime.timedelta(days=7)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> "InvitationQuerySet":
        """Not yet used or revoked, and not expired: a link that would still work."""
        return self.filter(used_at=None, revoked_at=None, expires_at__gt=timezone.now())

    def of(self, organisation: models.Model) -> "InvitationQuerySet":
        """The invitations of a contractor company or of an obligee."""
        field = "contractor" if organisation._meta.model_name == "contractor" else "obligee"
        return self.filter(**{field: organisation})


class Invitation(models.Model):
    """An invitation to join one organisation (a contractor company or an obligee) in one role.

    The link carries a random token; only its SHA-256 digest is stored, so neither a database
    dump nor the admin can rebuild a working link. The link works once (used_at, set by a
    conditional UPDATE), until expires_at, and not after it is revoked; sending it again gives
    it a new token, which ends the old link.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("招待中")
        ACCEPTED = "accepted", _("登録済")
        REVOKED = "revoked", _("取消し")
        EXPIRED = "expired", _("期限切れ")

    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(_("メールアドレス"), max_length=254)
    role = models.CharField(_("役割"), max_length=16, choices=User.Role.choices)
    contractor = models.ForeignKey(
        "accounts.Contractor",
        verbose_name=_("請負者"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    obligee = models.ForeignKey(
        "obligees.Obligee",
        verbose_name=_("発注者"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("招待した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("招待日時"), default=timezone.now)
    sent_at = models.DateTimeField(_("送信日時"), default=timezone.now)
    sent_count = models.PositiveSmallIntegerField(_("送信回数"), default=1)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("登録日時"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録した利用者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        constraints = [
            # One organisation, and a role that organisation gives.
            models.CheckConstraint(
                name="invitation_one_organisation_and_its_role",
                condition=Q(
                    contractor__isnull=False, obligee__isnull=True, role__in=CONTRACTOR_ROLES
                )
                | Q(contractor__isnull=True, obligee__isnull=False, role__in=OBLIGEE_ROLES),
            ),
        ]
        indexes = [models.Index(fields=["email"], name="invitation_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.organisation})"

    @property
    def organisation(self) -> models.Model:
        organisation = self.contractor or self.obligee
        assert organisation is not None  # the constraint holds one of them
        return organisation

    @property
    def status(self) -> str:
        if self.used_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)
