from django.shortcuts import render

from obligees.models import Obligee


def obligee_list(request):
    """電子保証対応の発注者: public, no sign-in."""
    obligees = Obligee.objects.exclude(e_advance_since=None, e_contract_since=None)[:50]
    return render(request, "obligees/obligee_list.html", {"obligees": obligees})
