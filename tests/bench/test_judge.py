"""How `make bench` judges its pages: an admin list against its stock changelist, a portal page
against the floor."""

from bench.run import Row, judge


def _rows(admin_ms: float, stock_ms: float, floor_ms: float = 10.0) -> dict[str, Row]:
    rows = [
        Row("floor", "/bench/floor/", p50_ms=floor_ms),
        Row(
            "admin list",
            "/admin/applications/application/",
            p50_ms=admin_ms,
            peer="stock admin list",
            peer_goal=1.1,
            queries_small=7,
            queries_large=7,
        ),
        Row("stock admin list", "/bench/stock-admin/applications/application/", p50_ms=stock_ms),
        Row("dashboard", "/", p50_ms=14.0, goal=1.5, queries_small=3, queries_large=3),
    ]
    judge(rows)
    return {row.page: row for row in rows}


def test_an_admin_list_as_fast_as_its_stock_changelist_within_a_tenth_passes():
    # Many floor pages, and a little slower than the stock list: within the goal.
    rows = _rows(admin_ms=52.0, stock_ms=50.0)
    assert rows["admin list"].passed is True
    assert round(rows["admin list"].ratio_peer, 2) == 1.04
    assert rows["stock admin list"].passed is None  # the reference, not judged
    assert rows["dashboard"].passed is True


def test_an_admin_list_more_than_a_tenth_slower_than_its_stock_changelist_fails():
    assert _rows(admin_ms=56.0, stock_ms=50.0)["admin list"].passed is False


def test_a_portal_page_is_still_judged_against_the_floor():
    assert _rows(admin_ms=50.0, stock_ms=50.0, floor_ms=9.0)["dashboard"].passed is False
