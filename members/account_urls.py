"""アカウント設定 (/account/): each contractor or obligee user's own account."""

from django.urls import path

from members import account, second_factor

app_name = "account"

urlpatterns = [
    path("", account.home, name="home"),
    path("password/", account.password_change, name="password"),
    path("email/", account.email_change, name="email"),
    # The e-mail's link; it forwards to the page below, keeping the token in the session.
    path("email/confirm/", account.email_confirm, name="email_confirm"),
    path("email/confirm/<str:token>/", account.email_confirm_link, name="email_confirm_link"),
    path("second-factor/", second_factor.second_factor, name="second_factor"),
    path("second-factor/enrol/", second_factor.second_factor_enrol, name="second_factor_enrol"),
    path("second-factor/backup-codes/", second_factor.backup_codes, name="backup_codes"),
    path("second-factor/off/", second_factor.second_factor_off, name="second_factor_off"),
    path(
        "organisation/second-factor/",
        second_factor.organisation_requirement,
        name="organisation_second_factor",
    ),
]
