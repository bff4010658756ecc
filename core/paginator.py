from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Counting further than this costs more than the rest of a list page, and nobody pages that far:
# a longer list is narrowed with its filters and search.
COUNT_LIMIT = 2_000
# A search that finds more than this is to be narrowed, not paged through (20 pages of 25); and
# counting a common fragment's matches means reading the whole branch.
SEARCH_COUNT_LIMIT = 500


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_LIMIT rows: exact for any list a person pages through (80 pages of
    25), and one cheap query, not a scan of a branch's hundred thousand applications."""

    def __init__(self, *args: Any, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit = limit

    @property
    def limit(self) -> int:
        return COUNT_LIMIT if self._limit is None else self._limit

    @property
    def capped(self) -> bool:
        """Whether there are at least `limit` rows (the list says "2,000件以上")."""
        return self.count >= self.limit

    @cached_property
    def count(self) -> int:
        rows: QuerySet = self.object_list  # type: ignore[assignment]  # lists page querysets only
        return rows.order_by()[: self.limit].count()
