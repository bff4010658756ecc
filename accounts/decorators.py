from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render

from accounts.http import View
from accounts.models import User


def contractor_required(view: View) -> View:
    """Signed-in contractor users only; other personas are sent to their own home.

    Shared by every app with contractor pages (applications, guarantees), so that each answers an
    obligee user, staff or a stranger the same way.
    """

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = cast(User, request.user)  # login_required lets only a signed-in user through
        if user.contractor_id is None:
            if user.is_staff:
                return redirect("admin:index")
            return render(request, "applications/not_contractor.html", status=403)
        return view(request, *args, **kwargs)

    return cast(View, wrapper)
