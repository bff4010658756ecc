"""The floor page: the least a real signed-in page of Net Desk can cost.

A signed-in contractor, the project's whole middleware stack, context processors and base.html,
and one query for a 25-row table of the company's latest applications (plain values, no model
instances, no filters). No list page can be cheaper than this; `make bench` reports every page
as a multiple of it.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from applications.models import Application

FLOOR_ROWS = 25


@login_required
def floor(request):
    rows = (
        Application.objects.filter(contractor_id=request.user.contractor_id)
        .order_by("-updated_at", "-id")
        .values_list("number", "status", "works_name", "contract_amount", "updated_at")
    )
    return render(request, "bench/floor.html", {"rows": rows[:FLOOR_ROWS]})
