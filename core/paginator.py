from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Counting further than this costs more than the rest of a list page, and nobody pages that far:
# a longer list is narrowed with its filters and search.
COUNT_LIMIT = 2_000


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_LIMIT rows: exact for any list a person pages through (80 pages of
    25), and one cheap query, not a scan of a branch's hundred thousand applications."""

    @property
    def capped(self) -> bool:
        """Whether there are at least COUNT_LIMIT rows (the list says "2,000件以上")."""
        return self.count >= COUNT_LIMIT

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[:COUNT_LIMIT].count()
