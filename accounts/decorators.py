from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def contractor_required(view):
    """Signed-in contractor users only; other personas are sent to their own home.

    Shared by every app with contractor pages (applications, guarantees), so that each answers an
    obligee user, staff or a stranger the same way.
    """

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.contractor_id is None:
            if request.user.is_staff:
                return redirect("admin:index")
            return render(request, "applications/not_contractor.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
