from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class UserWithOrganisationBackend(ModelBackend):
    """Loads the signed-in user with the organisation every page header shows, in one query.
    Permissions are ModelBackend's (two queries, kept on the user for the request)."""

    def get_user(self, user_id: Any) -> User | None:
        user = (
            User._default_manager.select_related("contractor", "obligee", "branch")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
