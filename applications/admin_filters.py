"""The filters of the branch's list of applications (保証申込) in the admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch
from applications import selectors
from applications.models import Application


class BranchFilter(admin.SimpleListFilter):
    """営業部・支店: only the branches this staff member may see."""

    title = _("申込送信先")
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        if request.user.has_perm("applications.view_all_branches"):
            branches = Branch.objects.all()
        else:
            branches = Branch.objects.filter(pk=request.user.branch_id)
        return [(str(branch.pk), branch.name) for branch in branches]

    def queryset(self, request, queryset):
        return queryset.filter(branch_id=self.value()) if self.value() else queryset


class StatusFilter(admin.SimpleListFilter):
    """手続状況, opening on the work to do (送信済 and 審査中), with a choice for everything.

    A search looks through every status unless one is chosen: a clerk who types a number wants
    that application, whatever became of it.
    """

    title = _("手続状況")
    parameter_name = "status"
    WORK_TO_DO = "todo"
    EVERYTHING = "all"

    def lookups(self, request, model_admin):
        return [
            (self.WORK_TO_DO, _("要対応(送信済・審査中)")),
            *((s.value, s.label) for s in Application.Status if s != Application.Status.DRAFT),
            (self.EVERYTHING, _("すべて")),
        ]

    def value(self):
        value = super().value()
        if value in {key for key, _title in self.lookup_choices}:
            return value
        # A search, or a queue of guarantees chosen (from the home page), looks at every status.
        queue = self.request.GET.get(GuaranteeQueueFilter.parameter_name)
        if self.request.GET.get("q", "").strip() or queue in selectors.GUARANTEE_QUEUES:
            return self.EVERYTHING
        return self.WORK_TO_DO

    def choices(self, changelist):
        choices = super().choices(changelist)
        next(choices)  # Django's "All": here no choice means the work to do, "すべて" is listed
        yield from choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.EVERYTHING:
            return queryset
        if value == self.WORK_TO_DO:
            return queryset.filter(status__in=Application.WORK_TO_DO)
        return queryset.filter(status=value)


class GuaranteeQueueFilter(admin.SimpleListFilter):
    """保証の状況: applications with an approved guarantee waiting for the branch (the work
    queue of the admin's home page links here)."""

    title = _("保証の状況")
    parameter_name = "guarantee"

    def lookups(self, request, model_admin):
        return [(queue, label) for queue, label in GUARANTEE_QUEUE_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() not in selectors.GUARANTEE_QUEUES:
            return queryset
        return selectors.applications_in_queue(queryset, self.value())


GUARANTEE_QUEUE_LABELS = {
    "approved": _("承諾(入金・発行待ち)"),
    "handover": _("交付待ち(証書(紙))"),
    "failed": _("発行失敗"),
}


class ObligeeFilter(admin.SimpleListFilter):
    """発注者 by name: a text box, since a list of 1,800 obligees helps nobody."""

    title = _("発注者")
    parameter_name = "obligee"
    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the filter renders its own input

    def choices(self, changelist):
        # The other filters and the search travel along as hidden inputs.
        others = [(k, v) for k, v in changelist.params.items() if k != self.parameter_name]
        yield {"value": self.value() or "", "others": others, "parameter": self.parameter_name}

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(obligee__name__contains=value) if value else queryset
