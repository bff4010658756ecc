"""What `make bench` measures. Extend the bench by adding a Page (e.g. the admin lists)."""

from collections.abc import Callable
from dataclasses import dataclass

from bench import seed


@dataclass(frozen=True)
class Probe:
    """One request whose SQL queries are counted in-process with Django's test client."""

    path: str
    user: str | None = None  # e-mail of the signed-in user; None means anonymous
    # Shrinks the data first; it runs in a transaction that is rolled back afterwards.
    prepare: Callable[[], None] | None = None


@dataclass(frozen=True)
class Page:
    """A page timed with wrk on the full data set and query-counted on a small and a large one."""

    name: str
    path: str
    user: str | None = None
    small: Probe | None = None  # the same page on a small data set; None: same as large
    baseline: bool = False

    @property
    def large(self) -> Probe:
        return Probe(self.path, self.user)


PAGES: list[Page] = [
    Page("healthz (baseline)", "/healthz/", baseline=True),
    Page(
        "dashboard",
        "/",
        user=seed.BIG_USER,
        small=Probe("/", user=seed.SMALL_USER),
    ),
    Page(
        "obligees",
        "/obligees/",
        small=Probe("/obligees/", prepare=lambda: seed.keep_accepting(5)),
    ),
    Page(
        "obligees ?q=市",
        "/obligees/?q=市",
        small=Probe("/obligees/?q=市", prepare=lambda: seed.keep_accepting(5, "市")),
    ),
]
