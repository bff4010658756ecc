"""The guarantee kinds (保証の種類). Named below the apps: the obligee registry (which kinds an
obligee receives electronically) and the fee tables (a table per kind) name them as the
guarantees do, and depend on nothing above them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GuaranteeKind(models.TextChoices):
    ADVANCE = "advance", _("前払金保証")
    CONTRACT = "contract", _("契約保証")
