"""The obligee user's pages (発注者): 受領した保証証書 and 認証キーの登録."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.lockout import client_ip
from core.errors import ServiceError
from core.forms import input_texts
from core.paginator import CappedCountPaginator
from core.urls import pk_url
from guarantees import received, receiving
from obligees.forms import ReceivedSearchForm

PAGE_SIZE = 20


class KeyRegistrationForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("保証契約番号"),
        max_length=receiving.MAX_NUMBER_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "GM-2026-000123"}),
    )
    key = forms.CharField(
        label=gettext_lazy("認証キー"),
        max_length=60,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX-XXXX-X",
            }
        ),
    )


@login_required
def obligee_home(request):
    """受領した保証証書, searched by the GET query (a result can be bookmarked), with the form
    that registers one more (number and key)."""
    user = request.user
    if user.obligee_id is None:
        raise PermissionDenied
    form = KeyRegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            receipt = receiving.certificate_receive(
                user=user,
                number=form.cleaned_data["number"],
                key=form.cleaned_data["key"],
                ip=client_ip(request) or "",
            )
        except ServiceError as exc:
            form.add_error(None, exc.messages[0])
            status = 429 if exc.code == "rate_limited" else 200
        else:
            messages.success(
                request,
                _("保証証書 %(number)s(第%(version)s版)を受領しました。")
                % {
                    "number": receipt.certificate.guarantee.number,
                    "version": receipt.certificate.version,
                },
            )
            return redirect("obligee_home")
    search_form = ReceivedSearchForm(request.GET)
    search = search_form.search()
    rows = received.received_rows(user, search)
    # The whole list of an obligee that has received thousands is 「2,000件以上」 by its counter.
    at_least = user.obligee.received_count if search is not None and search.is_empty else 0
    paginator = CappedCountPaginator(rows, PAGE_SIZE, at_least=at_least)
    page = paginator.get_page(request.GET.get("page"))
    # Counted on the receipts alone; the page's own values are read for its rows only.
    page.object_list = received.list_rows(
        received.list_values(page.object_list),
        today=timezone.localdate(),
        detail_url=pk_url("obligee_certificate"),
    )
    return render(
        request,
        "obligees/obligee_home.html",
        {
            "obligee": user.obligee,
            "form": form,
            "form_inputs": input_texts(form),
            "search_form": search_form,
            "search_inputs": input_texts(search_form),
            "page": page,
            "printed_at": timezone.localtime(),
        },
        status=status,
    )
