import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEntry


def log_action(
    obj: models.Model | type[models.Model], action: str, *, user=None, data: dict | None = None
) -> AuditEntry:
    """Record that `user` did `action` (e.g. "application.sent") to `obj`: a row, or a model
    class for what concerns the whole table (e.g. "obligee.imported")."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=None if isinstance(obj, type) else obj.pk,
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        data=data or {},
    )


def audit_entries_for(obj: models.Model):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("user")


def jsonable(value):
    """A field value as the audit data stores it: dates as ISO text, other objects as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
