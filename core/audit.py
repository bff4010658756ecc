from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEntry


def log_action(
    obj: models.Model, action: str, *, user=None, data: dict | None = None
) -> AuditEntry:
    """Record that `user` did `action` (e.g. "application.sent") to `obj`."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        data=data or {},
    )


def audit_entries_for(obj: models.Model):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("user")
