from functools import cache

from django.contrib.auth.backends import ModelBackend, UserModel
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


class UserWithOrganisationBackend(ModelBackend):
    """Loads the signed-in user with the organisation every page header shows, in one query,
    and the user's permissions in one more."""

    def get_user(self, user_id):
        user = (
            UserModel._default_manager.select_related("contractor", "obligee", "branch")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """The user's own permissions and those of the user's groups, in one query where
        ModelBackend runs two: every admin page checks permissions. Kept on the user for the
        request, as ModelBackend keeps them."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            alias = router.db_for_read(Permission)
            with connections[alias].cursor() as cursor:
                if user_obj.is_superuser:
                    cursor.execute(_permissions_sql(alias, every=True))
                else:
                    cursor.execute(_permissions_sql(alias), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor}
        return user_obj._perm_cache


@cache
def _permissions_sql(alias: str, every: bool = False) -> str:
    """The query, written once: every admin request makes it, and building it with the ORM
    (two subqueries and a join) cost twice as long as running it."""
    table = {
        "permission": Permission._meta.db_table,
        "content_type": ContentType._meta.db_table,
        "own": UserModel.user_permissions.through._meta.db_table,
        "user_groups": UserModel.groups.through._meta.db_table,
        "group_permissions": Group.permissions.through._meta.db_table,
    }
    quote = connections[alias].ops.quote_name
    q = {name: quote(value) for name, value in table.items()}
    sql = (
        f"SELECT ct.app_label, p.codename FROM {q['permission']} p"
        f" INNER JOIN {q['content_type']} ct ON ct.id = p.content_type_id"
    )
    if every:
        return sql
    return (
        f"{sql} WHERE p.id IN (SELECT own.permission_id FROM {q['own']} own"
        " WHERE own.user_id = %s"
        f" UNION SELECT gp.permission_id FROM {q['group_permissions']} gp"
        f" INNER JOIN {q['user_groups']} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    )
