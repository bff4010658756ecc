from django.contrib.auth.backends import ModelBackend, UserModel
from django.contrib.auth.models import Group, Permission
from django.db.models import Q


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
            permissions = Permission.objects.order_by()
            if not user_obj.is_superuser:
                own = UserModel.user_permissions.through.objects.filter(user=user_obj)
                of_groups = Group.permissions.through.objects.filter(group__user=user_obj)
                permissions = permissions.filter(
                    Q(pk__in=own.values("permission_id"))
                    | Q(pk__in=of_groups.values("permission_id"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                )
            }
        return user_obj._perm_cache
