"""The figures a district reads, against a scenario computed by hand: the monthly trend (rollup and raw), the
breakdowns by class of category, channel and handling unit, the minimum sample of a rate, and the ``channel``
filter of the case lists and the metrics (an unknown channel is 422, never ignored).

Fixed clock: now = 2025-10-20 12:00 Shanghai. Cases in 东园社区 (grid_a), class P1 = the first subclass's class,
P2 another class; 城管 = a department, 物业 = a property company:

  A 2025-08-05 12345  P1 closed, resolved 1 day after opening, due 3 days after      → on time   lead 城管
  B 2025-08-06 web    P1 closed, resolved 5 days after opening, due 3 days (overdue)  → late      lead 城管
  C 2025-09-10 12345  P2 in progress, due 2025-09-13 passed (overdue)                 → due, late lead 物业
  D 2025-10-10 patrol P2 submitted
  E 2025-10-11 12345  P2 cancelled
Elsewhere: F 2025-07-01 (before a 3-month window), G 2025-10-11 12345 in 西园社区 (grid_c).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.appeals import rollup
from wangge.appeals.metrics import appeal_metrics
from wangge.appeals.metrics_breakdown import appeal_breakdown, appeal_trend
from wangge.appeals.models import Appeal, Category, State
from wangge.core.errors import InvalidInput, NotFound
from wangge.testing import PASSWORD, Tree, api_client, make_user

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 10, 20, 12, 0, tzinfo=SH)
D = dt.timedelta(days=1)
H = dt.timedelta(hours=1)
HOTLINE, WEB, PATROL = Appeal.Channel.HOTLINE_12345, Appeal.Channel.RESIDENT_WEB, Appeal.Channel.PATROL

pytestmark = pytest.mark.django_db


def _classes() -> tuple[Category, Category]:
    subs = list(Category.objects.filter(parent__isnull=False).select_related("parent").order_by("code"))
    first = subs[0]
    other = next(c for c in subs if c.parent_id != first.parent_id)
    return first, other


def mk(area: Any, at: dt.datetime, channel: str, category: Category, **fields: Any) -> Appeal:
    return Appeal.objects.create(
        channel=channel,
        category=category,
        description="楼道灯坏了",
        grid=area,
        area_code=area.code,
        reported_at=at,
        **fields,
    )


def _loop(at: dt.datetime, *, due_days: int, resolved_days: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"opened_at": at + H, "resolve_due_at": at + H + due_days * D}
    if resolved_days is not None:
        out["resolved_at"] = at + H + resolved_days * D
    return out


@pytest.fixture
def units(tree: Tree) -> tuple[Unit, Unit]:
    return (
        Unit.objects.create(name="城市管理局", kind=Unit.Kind.DEPARTMENT, area=tree.district),
        Unit.objects.create(name="海安安居物业", kind=Unit.Kind.PROPERTY_COMPANY, area=tree.community),
    )


@pytest.fixture
def scenario(tree: Tree, units: tuple[Unit, Unit]) -> Tree:
    p1, p2 = _classes()
    dept, prop = units
    ga, gc = tree.grid_a, tree.grid_c
    a = dt.datetime(2025, 8, 5, 10, tzinfo=SH)
    b = dt.datetime(2025, 8, 6, 10, tzinfo=SH)
    c = dt.datetime(2025, 9, 10, 10, tzinfo=SH)
    mk(
        ga,
        a,
        HOTLINE,
        p1,
        state=State.CLOSED,
        closed_at=a + 2 * D,
        lead_unit=dept,
        **_loop(a, due_days=3, resolved_days=1),
    )
    mk(
        ga,
        b,
        WEB,
        p1,
        state=State.CLOSED,
        closed_at=b + 6 * D,
        overdue=True,
        lead_unit=dept,
        **_loop(b, due_days=3, resolved_days=5),
    )
    mk(
        ga,
        c,
        HOTLINE,
        p2,
        state=State.IN_PROGRESS,
        overdue=True,
        lead_unit=prop,
        **_loop(c, due_days=3, resolved_days=None),
    )
    mk(ga, dt.datetime(2025, 10, 10, 9, tzinfo=SH), PATROL, p2)
    mk(ga, dt.datetime(2025, 10, 11, 9, tzinfo=SH), HOTLINE, p2, state=State.CANCELLED)
    mk(ga, dt.datetime(2025, 7, 1, 9, tzinfo=SH), WEB, p1)  # F
    mk(gc, dt.datetime(2025, 10, 11, 9, tzinfo=SH), HOTLINE, p1)  # G
    return tree


def _pick(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("reported", "closed", "overdue", "due", "closed_on_time", "on_time_close_rate")
    return {k: item[k] for k in keys}


TREND_COMMUNITY = [
    {
        "month": "2025-08",
        "reported": 2,
        "closed": 2,
        "overdue": 1,
        "due": 2,
        "closed_on_time": 1,
        "on_time_close_rate": 0.5,
    },
    {
        "month": "2025-09",
        "reported": 1,
        "closed": 0,
        "overdue": 1,
        "due": 1,
        "closed_on_time": 0,
        "on_time_close_rate": 0.0,
    },
    {
        "month": "2025-10",
        "reported": 2,
        "closed": 0,
        "overdue": 0,
        "due": 0,
        "closed_on_time": 0,
        "on_time_close_rate": None,
    },
]


@pytest.mark.parametrize("source", ["cases", "rollup"])
def test_monthly_trend_matches_the_hand_computation(scenario: Tree, settings: Any, source: str) -> None:
    settings.WANGGE_METRICS_MIN_SAMPLE = 2
    if source == "rollup":
        rollup.refresh(NOW)
    admin = make_user(Role.ADMIN)
    t = appeal_trend(viewer=admin, area=scenario.community.code, months=3, now=NOW)
    assert t["source"] == source
    assert [{"month": i["month"], **_pick(i)} for i in t["items"]] == TREND_COMMUNITY
    # Samples: August's on-time rate is over 2 due cases (enough), September's over 1 (too few).
    assert [i["rate_samples"]["on_time_close_rate"] for i in t["items"]] == [2, 1, 0]
    assert ["on_time_close_rate" in i["rates_insufficient"] for i in t["items"]] == [False, True, True]
    # The district adds G (西园, October); 12 months reach back to F (July).
    district = appeal_trend(viewer=admin, area=scenario.district.code, months=4, now=NOW)
    assert [i["reported"] for i in district["items"]] == [1, 2, 1, 3]


def test_the_12345_trend_counts_only_hotline_cases(scenario: Tree) -> None:
    rollup.refresh(NOW)  # a channel is never read from the rollup (it has no channel)
    admin = make_user(Role.ADMIN)
    t = appeal_trend(viewer=admin, area=scenario.district.code, months=3, channel=HOTLINE, now=NOW)
    assert t["source"] == "cases" and t["channel"] == HOTLINE
    assert [i["reported"] for i in t["items"]] == [1, 1, 2]  # A; C; E and G


def test_breakdown_by_class_of_category(scenario: Tree) -> None:
    p1, p2 = _classes()
    admin = make_user(Role.ADMIN)
    b = appeal_breakdown(
        viewer=admin,
        by="category",
        area=scenario.community.code,
        start="2025-08-01",
        end="2025-10-31",
        now=NOW,
    )
    got = {i["key"]: (i["name"], i["reported"], i["closed"], i["overdue"]) for i in b["items"]}
    assert got == {
        p1.parent.code: (p1.parent.name, 2, 2, 1),  # A, B
        p2.parent.code: (p2.parent.name, 3, 0, 1),  # C, D, E
    }
    assert [i["key"] for i in b["items"]] == [p2.parent.code, p1.parent.code]  # most cases first


def test_breakdown_by_channel_and_the_channel_filter(scenario: Tree) -> None:
    admin = make_user(Role.ADMIN)
    period = {"start": "2025-08-01", "end": "2025-10-31", "now": NOW}
    b = appeal_breakdown(viewer=admin, by="channel", area=scenario.community.code, **period)
    assert [(i["key"], i["reported"]) for i in b["items"]] == [(HOTLINE, 3), (PATROL, 1), (WEB, 1)]
    assert b["items"][0]["name"] == "12345热线转办"
    only = appeal_breakdown(viewer=admin, by="channel", area=scenario.community.code, channel=WEB, **period)
    assert [(i["key"], i["reported"]) for i in only["items"]] == [(WEB, 1)]


def test_handling_units_ranked_by_on_time_close_rate(
    scenario: Tree, units: tuple[Unit, Unit], settings: Any
) -> None:
    dept, prop = units
    admin = make_user(Role.ADMIN)
    args = {
        "viewer": admin,
        "by": "unit",
        "area": scenario.district.code,
        "start": "2025-08-01",
        "end": "2025-10-31",
        "now": NOW,
    }
    settings.WANGGE_METRICS_MIN_SAMPLE = 1
    b = appeal_breakdown(**args)
    rows = [(i["name"], i["kind"], i["reported"], i["on_time_close_rate"], i["rank"]) for i in b["items"]]
    assert rows == [
        ("城市管理局", "department", 2, 0.5, 1),  # A on time, B late
        ("海安安居物业", "property_company", 1, 0.0, 2),  # C past its deadline
    ]
    settings.WANGGE_METRICS_MIN_SAMPLE = 2  # the property company's one case is too few to rank
    b = appeal_breakdown(**args)
    assert [(i["name"], i["rank"]) for i in b["items"]] == [("城市管理局", 1), ("海安安居物业", None)]
    assert b["items"][1]["rates_insufficient"] and b["items"][1]["rate_samples"]["on_time_close_rate"] == 1


def test_a_rate_under_the_minimum_sample_says_so(scenario: Tree, settings: Any) -> None:
    admin = make_user(Role.ADMIN)
    period = {"start": "2025-08-01", "end": "2025-10-31", "now": NOW}
    m = appeal_metrics(viewer=admin, area=scenario.community.code, **period)
    # 3 due cases (A, B, C): below the default minimum of 5.
    assert m["rate_samples"]["on_time_close_rate"] == 3 and m["on_time_close_rate"] == round(1 / 3, 4)
    assert "on_time_close_rate" in m["rates_insufficient"]
    settings.WANGGE_METRICS_MIN_SAMPLE = 3
    m = appeal_metrics(viewer=admin, area=scenario.community.code, **period)
    assert "on_time_close_rate" not in m["rates_insufficient"]
    assert "rework_rate" in m["rates_insufficient"]  # over the 2 closed cases


def test_the_figures_page_shows_too_small_a_sample_instead_of_a_percentage(
    scenario: Tree, client: Any
) -> None:
    street = make_user(Role.STREET_STAFF, scenario.street)
    assert client.login(username=street.username, password=PASSWORD)
    html = client.get(
        "/appeals/figures/", {"area": scenario.community.code, "from": "2025-08-01", "to": "2025-10-31"}
    ).content.decode()
    card = html.split('data-rate="on_time_close_rate"', 1)[1].split("</li>", 1)[0]
    assert "样本不足（n=3）" in card and "%" not in card


def test_metrics_endpoints_filter_by_channel_and_name_a_bad_one(scenario: Tree) -> None:
    admin = make_user(Role.ADMIN)
    c = api_client(admin)
    base = {"area": scenario.community.code, "from": "2025-08-01", "to": "2025-10-31"}
    all_ = c.get("/api/v1/metrics/appeals", base).json()
    hot = c.get("/api/v1/metrics/appeals", {**base, "channel": HOTLINE}).json()
    assert (all_["reported"], hot["reported"]) == (5, 3)
    assert hot["filters"]["channel"] == HOTLINE
    for url, extra in (
        ("/api/v1/metrics/appeals", {}),
        ("/api/v1/metrics/appeals/trend", {}),
        ("/api/v1/metrics/appeals/breakdown", {"by": "category"}),
    ):
        res = c.get(url, {**base, **extra, "channel": "wechat"})
        assert res.status_code == 422, url
        assert "channel" in res.content.decode() and "渠道" in res.json()["detail"]


def test_case_list_api_filters_by_channel(scenario: Tree) -> None:
    c = api_client(make_user(Role.ADMIN))
    everything = c.get("/api/v1/appeals", {"area": scenario.community.code, "limit": 100}).json()
    hot = c.get("/api/v1/appeals", {"area": scenario.community.code, "channel": HOTLINE, "limit": 100}).json()
    assert everything["count"] == 6 and hot["count"] == 3
    assert {i["id"] for i in hot["items"]} == set(
        Appeal.objects.filter(area_code__startswith=scenario.community.code, channel=HOTLINE).values_list(
            "pk", flat=True
        )
    )
    bad = c.get("/api/v1/appeals", {"channel": "wechat"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"


def test_board_page_filters_by_channel(scenario: Tree, client: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, scenario.community)
    assert client.login(username=staff.username, password=PASSWORD)
    html = client.get("/appeals/board/", {"view": "all", "channel": PATROL}).content.decode()
    patrol = Appeal.objects.get(channel=PATROL)
    others = Appeal.objects.filter(area_code__startswith=scenario.community.code).exclude(channel=PATROL)
    assert f'data-appeal="{patrol.pk}"' in html
    assert not any(f'data-appeal="{a.pk}"' in html for a in others)
    assert 'name="channel"' in html and f'value="{PATROL}" selected' in html
    res = client.get("/appeals/board/", {"view": "all", "channel": "wechat"})
    assert res.status_code == 422 and "渠道" in res.content.decode()


def test_bounded_inputs_are_422_naming_the_field(tree: Tree) -> None:
    c = api_client(make_user(Role.ADMIN))
    cases = [
        ("/api/v1/metrics/appeals/trend", {"months": 0}, "months"),
        ("/api/v1/metrics/appeals/trend", {"months": 37}, "months"),
        ("/api/v1/metrics/appeals/trend", {"months": 10**30}, "months"),
        ("/api/v1/metrics/appeals/breakdown", {"by": "street"}, "by"),
        ("/api/v1/metrics/appeals/breakdown", {"by": "unit", "from": "0001-01-01"}, "from"),
        (
            "/api/v1/metrics/appeals/breakdown",
            {"by": "unit", "from": "2025-10-02", "to": "2025-10-01"},
            "from",
        ),
        ("/api/v1/metrics/appeals/breakdown", {"by": "unit", "area": "3206\x00"}, "area"),
    ]
    for url, params, field in cases:
        res = c.get(url, params)
        assert res.status_code == 422, (url, params, res.content)
        assert field in res.content.decode(), (url, params)
    with pytest.raises(InvalidInput):
        appeal_trend(viewer=make_user(Role.ADMIN), months=0)


def test_out_of_scope_areas_are_404_like_missing(scenario: Tree) -> None:
    community = make_user(Role.COMMUNITY_STAFF, scenario.community)
    with pytest.raises(NotFound):
        appeal_trend(viewer=community, area=scenario.other_community.code, now=NOW)
    with pytest.raises(NotFound):
        appeal_breakdown(viewer=community, by="unit", area=scenario.district.code, now=NOW)
    c = api_client(community)
    assert c.get("/api/v1/metrics/appeals/trend", {"area": scenario.other_community.code}).status_code == 404
    assert c.get("/api/v1/metrics/appeals/breakdown", {"by": "channel", "area": "999999"}).status_code == 404
    # Without an area: the viewer's own community (G in 西园 never counted).
    t = appeal_trend(viewer=community, months=1, channel=HOTLINE, now=NOW)
    assert t["area"]["code"] == scenario.community.code and t["items"][0]["reported"] == 1  # E


def _queries(fn: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("rolled", [False, True])
def test_trend_and_breakdowns_cost_the_same_queries_for_n_and_2n_cases(
    scenario: Tree, units: tuple[Unit, Unit], rolled: bool
) -> None:
    admin = make_user(Role.ADMIN)
    code = scenario.district.code
    period = {"start": "2025-08-01", "end": "2025-10-31", "now": NOW}

    def run() -> list[int]:
        if rolled:
            rollup.rebuild(NOW)
        return [
            _queries(lambda: appeal_trend(viewer=admin, area=code, months=12, now=NOW)),
            _queries(lambda: appeal_trend(viewer=admin, area=code, months=12, channel=HOTLINE, now=NOW)),
            *[
                _queries(lambda by=by: appeal_breakdown(viewer=admin, by=by, area=code, **period))
                for by in ("category", "channel", "unit")
            ],
        ]

    before = run()
    p1, p2 = _classes()
    for i in range(6):
        mk(
            scenario.grid_b,
            dt.datetime(2025, 9, 1 + i, 9, tzinfo=SH),
            HOTLINE,
            (p1, p2)[i % 2],
            lead_unit=units[i % 2],
        )
    assert run() == before
    # area, rollup state, one grouped query; breakdowns: area, one grouped query, the names.
    assert before == [3, 2, 3, 2, 3]
