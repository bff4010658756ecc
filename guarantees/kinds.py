"""The guarantee kinds (保証の種類). A leaf module: the obligee registry and the fee tables name
the kinds too, and import them from here without depending on the guarantee models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GuaranteeKind(models.TextChoices):
    ADVANCE = "advance", _("前払金保証")
    CONTRACT = "contract", _("契約保証")
