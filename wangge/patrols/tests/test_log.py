"""The day's 巡查日志 (JSON, page, .xlsx with a Chinese file name) and the coverage figures, hand-computed."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from wangge.accounts.roles import Role
from wangge.patrols import services
from wangge.patrols.tests.factories import make_building, point
from wangge.testing import PASSWORD, api_client, make_user

pytestmark = pytest.mark.django_db


def _day_at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def scenario(tree: Any, settings: Any) -> dict[str, Any]:
    """Grid A: 4 located buildings (b1 centre, b2 100 m east, b3 200 m east, b4 100 m north). Yesterday two
    patrols by one worker: the first passes b1 and b2 (600 m walked: 0→300 m east and back), with one case;
    the second passes b4. Grid B: 2 buildings, one patrol the day before yesterday passing one of them."""
    settings.WANGGE_PATROL_COVERAGE_DISTANCE_M = 50
    settings.WANGGE_PATROL_MAX_ACCURACY_M = 50
    g, gb = tree.grid_a, tree.grid_b
    b = [make_building(g), make_building(g, east_m=100), make_building(g, east_m=200), make_building(g, 100)]
    make_building(gb)
    make_building(gb, east_m=300)
    gw = make_user(Role.GRID_WORKER, g, username="gw_log", display_name="柳青")
    gw_b = make_user(Role.GRID_WORKER, gb)
    day = timezone.localdate() - dt.timedelta(days=1)
    p1, _ = services.patrol_start(by=gw, client_id="m1", area=g, started_at=_day_at(day, 9))
    services.patrol_points_add(
        by=gw,
        patrol=p1,
        points=[
            point(g, _day_at(day, 9, 1), east_m=0),
            point(g, _day_at(day, 9, 2), east_m=120),
            point(g, _day_at(day, 9, 3), east_m=300, accuracy_m=90),  # poor: not in distance or coverage
            point(g, _day_at(day, 9, 4), east_m=300),
            point(g, _day_at(day, 9, 5), east_m=0),
        ],
    )
    services.patrol_discover(
        by=gw,
        patrol=p1,
        client_id="d1",
        category="SJ0101",
        description="单元门口暴露垃圾",
        found_at=_day_at(day, 9, 3),
    )
    services.patrol_stop(
        by=gw,
        patrol=p1,
        ended_at=_day_at(day, 9, 45),
        checklist={"fire_lane": "ok", "rubbish": "issue"},
        notes="已通知物业",
    )
    p2, _ = services.patrol_start(by=gw, client_id="m2", area=g, started_at=_day_at(day, 15))
    services.patrol_points_add(by=gw, patrol=p2, points=[point(g, _day_at(day, 15, 5), north_m=110)])
    services.patrol_stop(by=gw, patrol=p2, ended_at=_day_at(day, 15, 20))
    p3, _ = services.patrol_start(
        by=gw_b, client_id="m3", area=gb, started_at=_day_at(day - dt.timedelta(days=1), 9)
    )
    services.patrol_points_add(
        by=gw_b, patrol=p3, points=[point(gb, _day_at(day - dt.timedelta(days=1), 9, 5))]
    )
    services.patrol_stop(by=gw_b, patrol=p3, ended_at=_day_at(day - dt.timedelta(days=1), 10))
    return {"gw": gw, "day": day, "p1": p1, "p2": p2, "buildings": b}


def test_log_gives_each_patrol_and_the_days_coverage(scenario):
    gw, day, p1 = scenario["gw"], scenario["day"], scenario["p1"]
    r = api_client(gw).get(f"/api/v1/patrols/log?date={day}")
    assert r.status_code == 200, r.content
    log = r.json()
    assert log["worker"]["name"] == "柳青"
    first, second = log["patrols"]
    assert (first["id"], first["duration_minutes"], first["distance_m"]) == (p1.pk, 45, 600)
    assert (first["point_count"], first["good_point_count"]) == (5, 4)
    assert (first["buildings_passed"], first["buildings_total"], first["coverage"]) == (2, 4, 0.5)
    checks = {c["label"]: c["value_label"] for c in first["checklist"]}
    assert (checks["消防通道"], checks["垃圾堆放"], checks["飞线充电"]) == ("正常", "有问题", "未填")
    assert [(d["category_name"], d["description"]) for d in first["discoveries"]] == [
        ("暴露垃圾", "单元门口暴露垃圾")
    ]
    assert (second["duration_minutes"], second["buildings_passed"]) == (20, 1)
    # The day's union: b1, b2, b4 of 4.
    assert log["grids"] == [
        {"code": "320621001001001", "buildings_passed": 3, "buildings_total": 4, "coverage": 0.75}
    ]
    assert (log["total_minutes"], log["discovery_count"]) == (65, 1)


def test_another_workers_log_is_404_out_of_scope(scenario, tree):
    gw = scenario["gw"]
    outsider = make_user(Role.GRID_WORKER, tree.grid_b)
    assert api_client(outsider).get(f"/api/v1/patrols/log?worker={gw.pk}").status_code == 404
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    r = api_client(staff).get(f"/api/v1/patrols/log?worker={gw.pk}&date={scenario['day']}")
    assert (r.status_code, len(r.json()["patrols"])) == (200, 2)


def test_log_exports_as_xlsx_with_a_chinese_file_name(scenario):
    day, p1 = scenario["day"], scenario["p1"]
    c = Client()
    assert c.login(username="gw_log", password=PASSWORD)
    r = c.get(f"/patrols/log/export/?date={day}")
    assert r.status_code == 200
    disposition = r["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == f"巡查日志-柳青-{day}.xlsx"
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["巡查日志"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("巡查日志", "柳青", day.isoformat())
    header = rows[1]
    row = dict(zip(header, rows[2], strict=True))
    assert (row["编号"], row["开始"], row["结束"], row["时长（分钟）"], row["里程（米）"]) == (
        p1.pk,
        "09:00",
        "09:45",
        45,
        600,
    )
    assert (row["经过楼栋"], row["楼栋总数"], row["覆盖率"], row["垃圾堆放"]) == (2, 4, "50%", "有问题")
    assert row["发现问题"].endswith("暴露垃圾") and row["情况记录"] == "已通知物业"
    found = list(wb["发现问题"].iter_rows(values_only=True))
    assert found[1][2:4] == ("暴露垃圾", "单元门口暴露垃圾")
    # The page shows the same and carries the print stylesheet.
    page = c.get(f"/patrols/log/?date={day}").content.decode()
    assert "patrols/print.css" in page and 'media="print"' in page
    assert f'data-patrol="{p1.pk}"' in page and f"#{found[1][0]}" in page


def test_metrics_give_the_hand_computed_coverage(scenario, tree, django_assert_max_num_queries):
    day = scenario["day"]
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = api_client(staff)
    url = f"/api/v1/metrics/patrols?area={tree.community.code}&from={day - dt.timedelta(days=1)}&to={day}"
    c.get(url)
    with django_assert_max_num_queries(9):
        r = c.get(url)
    assert r.status_code == 200, r.content
    m = r.json()
    # Community: 6 buildings; passed in the period: 3 in A + 1 in B = 4. Daily: day-1 has 1 (B), day has 3 (A):
    # (1 + 3) / (6 × 2 days) = 0.3333.
    assert m["total"] == {
        "buildings": 6,
        "buildings_passed": 4,
        "coverage": 0.6667,
        "daily_coverage": 0.3333,
        "patrols": 3,
        "discoveries": 1,
    }
    by = {a["code"]: a for a in m["by_area"]}
    assert (by[tree.grid_a.code]["coverage"], by[tree.grid_b.code]["coverage"]) == (0.75, 0.5)
    assert by[tree.grid_a.code]["daily_coverage"] == 0.375  # 3 / (4 × 2)
    # Only the day: grid B had no patrol.
    r = c.get(f"/api/v1/metrics/patrols?area={tree.community.code}&from={day}&to={day}").json()
    assert (r["total"]["buildings_passed"], r["total"]["patrols"]) == (3, 2)
    # An area out of scope is 422 naming it.
    r = c.get(f"/api/v1/metrics/patrols?area={tree.other_community.code}")
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "area")
