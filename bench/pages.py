"""What `make bench` measures. Extend the bench by adding a Page (e.g. another admin list)."""

from collections.abc import Callable
from dataclasses import dataclass

from bench import seed

FLOOR_PATH = "/bench/floor/"  # bench.urls: served only with bench.settings
STOCK_ADMIN_PATH = "/bench/stock-admin/"
# A portal list page may cost this many floor pages; an admin list this many of the stock
# changelist showing the same rows (Django's own ModelAdmin, tuned at the database level only).
PORTAL_GOAL = 1.5
ADMIN_PEER_GOAL = 1.1


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
    floor: bool = False  # the page every other one is measured against
    # The most floor pages this page may cost; None: not judged against the floor.
    goal: float | None = None
    # A page this one is measured against (by name): an admin list's stock changelist; and the
    # most of its time this page may take. A page with neither goal is reported, not judged.
    peer: str | None = None
    peer_goal: float | None = None
    # Text the page must contain (besides HTTP 200), in the probes and before wrk: e.g. the
    # admin's result table, so that a login page or an empty list is not what gets timed.
    expect: str | None = None
    explain: bool = False  # print EXPLAIN ANALYZE of the page's slowest query

    @property
    def large(self) -> Probe:
        return Probe(self.path, self.user)


ADMIN_LIST = "/admin/applications/application/"
STOCK_LIST = STOCK_ADMIN_PATH + "applications/application/"
RESULT_TABLE = 'id="result_list"'  # the admin changelist's table: only when rows were found


def _admin_lists(name: str, query: str = "", explain: bool = False) -> list[Page]:
    """The branch-scoped changelist, and the stock changelist of the same rows: staff of the
    ~60,000-application branch; small data set: staff of the office with 10 applications."""
    stock = f"stock {name}"
    return [
        Page(
            name,
            ADMIN_LIST + query,
            user=seed.STAFF_USER,
            small=Probe(ADMIN_LIST + query, user=seed.SMALL_STAFF_USER),
            peer=stock,
            peer_goal=ADMIN_PEER_GOAL,
            expect=RESULT_TABLE,
            explain=explain,
        ),
        Page(
            stock,
            STOCK_LIST + query,
            user=seed.STAFF_USER,
            small=Probe(STOCK_LIST + query, user=seed.SMALL_STAFF_USER),
            expect=RESULT_TABLE,
        ),
    ]


def _head_office_lists() -> list[Page]:
    """Every branch's applications: the small data set keeps only the small office's."""
    pages = []
    for name, path, peer in [
        ("admin list (head office)", ADMIN_LIST, "stock admin list (head office)"),
        ("stock admin list (head office)", STOCK_LIST, None),
    ]:
        pages.append(
            Page(
                name,
                path,
                user=seed.HEAD_OFFICE_USER,
                small=Probe(
                    path,
                    user=seed.HEAD_OFFICE_USER,
                    prepare=lambda: seed.keep_branch(seed.SMALL_BRANCH[0]),
                ),
                peer=peer,
                peer_goal=ADMIN_PEER_GOAL if peer else None,
                expect=RESULT_TABLE,
                explain=peer is not None,
            )
        )
    return pages


PAGES: list[Page] = [
    Page(
        "floor",
        FLOOR_PATH,
        user=seed.BIG_USER,
        small=Probe(FLOOR_PATH, user=seed.SMALL_USER),
        floor=True,
        expect="<table",
    ),
    Page("healthz (no page)", "/healthz/"),
    Page(
        "dashboard",
        "/",
        user=seed.BIG_USER,
        small=Probe("/", user=seed.SMALL_USER),
        goal=PORTAL_GOAL,
    ),
    Page(
        "obligees",
        "/obligees/",
        small=Probe("/obligees/", prepare=lambda: seed.keep_accepting(5)),
        goal=PORTAL_GOAL,
    ),
    Page(
        "obligees ?q=市",
        "/obligees/?q=市",
        small=Probe("/obligees/?q=市", prepare=lambda: seed.keep_accepting(5, "市")),
        goal=PORTAL_GOAL,
    ),
    *_admin_lists("admin list (branch)", explain=True),
    *_admin_lists("admin ?status=reviewing", "?status=reviewing"),
    *_admin_lists(f"admin ?q={seed.SEARCH}", f"?q={seed.SEARCH}", explain=True),
    *_head_office_lists(),
]
