"""{% fast_result_list cl %}: Django's {% result_list cl %} for a FastChangeList."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from core.changelist import result_list

register = template.Library()


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    # The same template as Django's tag, so that a model's own change_list_results.html applies.
    return InclusionAdminNode(
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
