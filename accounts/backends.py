from django.contrib.auth.backends import ModelBackend, UserModel


class UserWithOrganisationBackend(ModelBackend):
    """Loads the signed-in user with the organisation every page header shows, in one query.
    Permissions are ModelBackend's (two queries, kept on the user for the request)."""

    def get_user(self, user_id):
        user = (
            UserModel._default_manager.select_related("contractor", "obligee", "branch")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
