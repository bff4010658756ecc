"""What `make bench` measures. Extend the bench by adding a Page (e.g. another admin list)."""

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
    # Text the page must contain (besides HTTP 200), in the probes and before wrk: e.g. the
    # admin's result table, so that a login page or an empty list is not what gets timed.
    expect: str | None = None
    explain: bool = False  # print EXPLAIN ANALYZE of the page's slowest query

    @property
    def large(self) -> Probe:
        return Probe(self.path, self.user)


ADMIN_LIST = "/admin/applications/application/"
RESULT_TABLE = 'id="result_list"'  # the admin changelist's table: only when rows were found


def _admin_list(name: str, query: str = "", explain: bool = False) -> Page:
    """The branch-scoped changelist: staff of the ~60,000-application branch; small data set:
    staff of the office with 10 applications."""
    path = ADMIN_LIST + query
    return Page(
        name,
        path,
        user=seed.STAFF_USER,
        small=Probe(path, user=seed.SMALL_STAFF_USER),
        expect=RESULT_TABLE,
        explain=explain,
    )


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
    _admin_list("admin list (branch)", explain=True),
    _admin_list("admin ?status=reviewing", "?status=reviewing"),
    _admin_list(f"admin ?q={seed.SEARCH}", f"?q={seed.SEARCH}", explain=True),
    Page(
        "admin list (head office)",
        ADMIN_LIST,
        user=seed.HEAD_OFFICE_USER,
        # Every branch's applications: the small data set keeps only the small office's.
        small=Probe(
            ADMIN_LIST,
            user=seed.HEAD_OFFICE_USER,
            prepare=lambda: seed.keep_branch(seed.SMALL_BRANCH[0]),
        ),
        expect=RESULT_TABLE,
        explain=True,
    ),
]
