from typing import cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from guarantees.receiving import registration_hold_lift
from obligees import admin as registry_admin
from obligees.models import Obligee

# The registry's admin knows nothing of receiving; lifting a user's hold on key registration is
# the receiving desk's action, added here to the same page.
admin.site.unregister(Obligee)


@admin.register(Obligee)
class ObligeeAdmin(registry_admin.ObligeeAdmin):
    actions = ["lift_registration_hold"]

    @admin.action(
        description=_("選択した発注者の利用者の認証キー登録の一時停止を解除"),
        permissions=["change"],
    )
    def lift_registration_hold(self, request: HttpRequest, queryset: QuerySet[Obligee]) -> None:
        acting_user = cast(User, request.user)  # the admin lets only signed-in staff in
        for obligee in queryset:
            held = registration_hold_lift(obligee=obligee, acting_user=acting_user)
            text = (
                _("%(obligee)s:一時停止中の利用者 %(held)s 人の認証キー登録を再開しました。")
                if held
                else _("%(obligee)s:認証キー登録を一時停止中の利用者はいません。")
            )
            self.message_user(request, text % {"obligee": obligee.name, "held": held})
