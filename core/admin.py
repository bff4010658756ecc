"""The audit trail of what staff change in the admin (registry, rate tables …)."""

from core.audit import jsonable, log_action


def _changes(form) -> dict:
    """{field: [before, after]} for every field the form changed."""
    return {
        name: [jsonable(form.initial.get(name)), jsonable(form.cleaned_data.get(name))]
        for name in form.changed_data
    }


class AuditedAdminMixin:
    """Writes an audit entry for every add, change and delete made in this ModelAdmin, and for
    the rows of its inlines, naming the staff member and what changed."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = "changed" if change else "created"
        data = {"changes": _changes(form)} if change else {}
        log_action(obj, f"{obj._meta.model_name}.{action}", user=request.user, data=data)

    def save_formset(self, request, form, formset, change):
        before = {f.instance.pk: _changes(f) for f in formset.initial_forms if f.has_changed()}
        super().save_formset(request, form, formset, change)
        rows = [
            *({"added": str(row)} for row in formset.new_objects),
            *(
                {"changed": str(row), "changes": before[row.pk]}
                for row, _f in formset.changed_objects
            ),
            *({"deleted": str(row)} for row in formset.deleted_objects),
        ]
        if rows and change:
            parent = form.instance
            log_action(
                parent,
                f"{parent._meta.model_name}.rows_changed",
                user=request.user,
                data={"model": formset.model._meta.model_name, "rows": rows},
            )

    def delete_model(self, request, obj):
        log_action(
            obj, f"{obj._meta.model_name}.deleted", user=request.user, data={"was": str(obj)}
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            log_action(
                obj, f"{obj._meta.model_name}.deleted", user=request.user, data={"was": str(obj)}
            )
        super().delete_queryset(request, queryset)
