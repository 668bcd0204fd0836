"""The case-loop pages through Django's test client: permissions, scope, HTMX partials, errors shown next to
the field (never a 500) and query counts on the list pages."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from wangge.appeals import services
from wangge.appeals.models import Appeal, State
from wangge.testing import PASSWORD

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def png(name: str = "photo.png") -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    buf.name = name
    return buf


def report_data(world: World, **extra: Any) -> dict[str, Any]:
    lat, lng = world.point(world.tree.grid_a)
    return {
        "token": "tok-1",
        "kind": "problem",
        "parent": "SQ01",
        "category": "SQ0101",
        "description": "3单元楼道灯不亮",
        "address": "东园小区1号楼",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "coord_system": "wgs84",
        **extra,
    }


def make_case(world: World, state: str = "submitted", category: str = "SQ0101") -> Appeal:
    appeal, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world, category=category))
    if state == "submitted":
        return appeal
    services.appeal_accept(appeal_id=appeal.pk, by=world.community)
    if state == "opened":
        return Appeal.objects.get(pk=appeal.pk)
    services.appeal_dispatch(appeal_id=appeal.pk, by=world.community)
    return Appeal.objects.get(pk=appeal.pk)


# --- report ---------------------------------------------------------------------------------------------


def test_report_page_shows_categories_and_the_map(world: World) -> None:
    res = login(world.resident).get("/appeals/report/")
    html = res.content.decode()
    assert res.status_code == 200
    # The map and the phone's location come from static files (the Content-Security-Policy allows no inline script).
    assert 'name="token"' in html and "vendor/leaflet.js" in html and "appeals/report.js" in html
    assert '<option value="SQ01">' in html  # a class (大类) with subclasses


def test_subcategories_partial_lists_the_subclasses_of_a_class(world: World) -> None:
    res = login(world.resident).get("/appeals/report/subcategories/", {"parent": "SQ01"})
    html = res.content.decode()
    assert 'value="SQ0101"' in html and 'value="SQ0102"' in html and "SJ0101" not in html


def test_report_creates_one_case_with_photo_even_when_posted_twice(world: World) -> None:
    c = login(world.resident)
    res = c.post("/appeals/report/", {**report_data(world), "photos": png()})
    assert res.status_code == 302
    appeal = Appeal.objects.get()
    assert res["Location"] == f"/appeals/{appeal.pk}/"
    assert appeal.grid == world.tree.grid_a and appeal.channel == "resident_web"
    assert appeal.attachments.count() == 1
    again = c.post("/appeals/report/", {**report_data(world), "photos": png()})  # a double tap
    assert again.status_code == 302 and again["Location"] == f"/appeals/{appeal.pk}/"
    assert Appeal.objects.count() == 1 and appeal.attachments.count() == 1


def test_report_errors_are_shown_next_to_the_field_and_write_nothing(world: World) -> None:
    c = login(world.resident)
    res = c.post("/appeals/report/", report_data(world, lat="10.0", lng="10.0"))  # outside every grid
    assert res.status_code == 422
    assert 'id="error-lat"' in res.content.decode() and "网格" in res.content.decode()
    res = c.post("/appeals/report/", report_data(world, category="XX99"))
    assert res.status_code == 422 and 'id="error-category"' in res.content.decode()
    bad = io.BytesIO(b"not an image at all")
    bad.name = "x.png"
    res = c.post("/appeals/report/", {**report_data(world, token="tok-2"), "photos": bad})
    assert res.status_code == 422 and 'id="error-photos"' in res.content.decode()
    assert not Appeal.objects.exists()  # the bad photo rolled the case back too


def test_department_staff_cannot_report(world: World) -> None:
    assert login(world.department_staff).get("/appeals/report/").status_code == 403


# --- lists ----------------------------------------------------------------------------------------------


def test_my_cases_lists_only_mine(world: World, django_assert_max_num_queries: Any) -> None:
    mine = make_case(world)
    services.appeal_submit(by=world.resident2, **submit_kwargs(world, description="别人的"))
    c = login(world.resident)
    for _ in range(5):
        make_case(world)
    with django_assert_max_num_queries(8):
        res = c.get("/appeals/mine/")
    html = res.content.decode()
    assert res.status_code == 200 and f'data-appeal="{mine.pk}"' in html and "别人的" not in html
    assert html.count("data-appeal=") == 6


def test_board_views_and_htmx_partial(world: World, django_assert_max_num_queries: Any) -> None:
    new = make_case(world)
    opened = make_case(world, "opened")
    dispatched = make_case(world, "dispatched")
    Appeal.objects.filter(pk=dispatched.pk).update(overdue=True)
    c = login(world.community)
    with django_assert_max_num_queries(10):
        res = c.get("/appeals/board/")
    html = res.content.decode()
    assert f'data-appeal="{new.pk}"' in html and f'data-appeal="{opened.pk}"' not in html
    res = c.get("/appeals/board/", {"view": "dispatch"}, HTTP_HX_REQUEST="true")
    part = res.content.decode()
    assert "<html" not in part and f'data-appeal="{opened.pk}"' in part
    overdue = c.get("/appeals/board/", {"view": "overdue"}).content.decode()
    assert f'data-appeal="{dispatched.pk}"' in overdue and f'data-appeal="{new.pk}"' not in overdue


def test_board_is_scoped_to_the_dispatchers_area(world: World) -> None:
    case = make_case(world)
    other_community = __import__("wangge.testing", fromlist=["make_user"]).make_user(
        "community_staff", world.tree.other_community
    )
    html = login(other_community).get("/appeals/board/").content.decode()
    assert f'data-appeal="{case.pk}"' not in html
    assert login(other_community).get(f"/appeals/{case.pk}/").status_code == 404


def test_residents_have_no_board_or_inbox(world: World) -> None:
    c = login(world.resident)
    assert c.get("/appeals/board/").status_code == 403
    assert c.get("/appeals/inbox/").status_code == 403


def test_inbox_shows_my_units_cases(world: World, django_assert_max_num_queries: Any) -> None:
    case = make_case(world, "dispatched")  # SQ0101 goes to the building's property company
    make_case(world, "opened")
    c = login(world.property_staff)
    with django_assert_max_num_queries(10):
        res = c.get("/appeals/inbox/")
    html = res.content.decode()
    assert html.count("data-appeal=") == 1 and f'data-appeal="{case.pk}"' in html
    unit = c.get("/appeals/inbox/", {"view": "unit"}).content.decode()
    assert f'data-appeal="{case.pk}"' in unit
    assert "data-appeal=" not in login(world.department_staff).get("/appeals/inbox/").content.decode()


# --- case detail and steps ------------------------------------------------------------------------------


def test_detail_shows_timeline_map_and_only_allowed_actions(world: World) -> None:
    case = make_case(world)
    html = login(world.community).get(f"/appeals/{case.pk}/").content.decode()
    assert 'id="appeal-map"' in html and 'data-kind="submitted"' in html
    assert 'id="action-accept"' in html and 'id="action-acknowledge"' not in html
    resident_html = login(world.resident).get(f"/appeals/{case.pk}/").content.decode()
    assert 'id="action-accept"' not in resident_html and "13812345678" in resident_html  # their own phone
    assert login(world.resident2).get(f"/appeals/{case.pk}/").status_code == 404


def test_steps_through_htmx_return_the_main_block(world: World) -> None:
    case = make_case(world)
    c = login(world.community)
    res = c.post(
        f"/appeals/{case.pk}/accept/", {"note": "属实", "version": case.version}, HTTP_HX_REQUEST="true"
    )
    html = res.content.decode()
    assert (
        res.status_code == 200 and html.startswith('\n<div id="appeal-main">') or 'id="appeal-main"' in html
    )
    assert "<html" not in html and 'data-state="opened"' in html and 'id="action-dispatch"' in html
    assert "★" in html  # the suggested handler is first in the dispatch form
    res = c.post(f"/appeals/{case.pk}/dispatch/", {"lead": f"unit:{world.property_co.pk}"})
    assert res.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.lead_unit == world.property_co


def test_a_stale_step_is_a_409_message_not_a_500(world: World) -> None:
    case = make_case(world)
    c = login(world.community)
    assert c.post(f"/appeals/{case.pk}/accept/", {"version": case.version}).status_code == 302
    res = c.post(f"/appeals/{case.pk}/accept/", {"version": case.version})  # the same form again
    assert res.status_code == 409 and 'role="alert"' in res.content.decode()
    res = c.post(f"/appeals/{case.pk}/accept/", {}, HTTP_HX_REQUEST="true")
    assert res.status_code == 409 and res["X-Wangge-Status"] == "409"  # htmx swaps 4xx (base.html)


def test_forbidden_step_and_missing_reason(world: World) -> None:
    case = make_case(world, "dispatched")
    res = login(world.resident).post(f"/appeals/{case.pk}/acknowledge/", {})
    assert res.status_code == 403
    res = login(world.property_staff).post(f"/appeals/{case.pk}/return/", {"reason": ""})
    assert res.status_code == 422 and "理由" in res.content.decode()
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
    assert login(world.community).post(f"/appeals/{case.pk}/nonsense/", {}).status_code == 404


def test_handler_resolves_with_photos(world: World) -> None:
    case = make_case(world, "dispatched")
    c = login(world.property_staff)
    assert c.post(f"/appeals/{case.pk}/acknowledge/", {}).status_code == 302
    res = c.post(
        f"/appeals/{case.pk}/resolve/", {"note": "已更换灯泡", "photos": [png("a.png"), png("b.png")]}
    )
    assert res.status_code == 302
    case.refresh_from_db()
    assert case.state == State.RESOLVED
    assert case.attachments.filter(purpose="resolve", event__kind="resolved").count() == 2


# --- figures --------------------------------------------------------------------------------------------


def test_figures_page_shows_rates_and_ranking(world: World) -> None:
    make_case(world, "dispatched")
    res = login(world.street).get("/appeals/figures/")
    html = res.content.decode()
    assert res.status_code == 200 and 'data-rate="response_rate"' in html
    assert "vendor/echarts.min.js" in html and 'data-code="320621001001"' in html
    assert login(world.resident).get("/appeals/figures/").status_code == 403
    bad = login(world.street).get("/appeals/figures/", {"from": "2026-13-01"})
    assert bad.status_code == 422 and "日期" in bad.content.decode()


def test_dispatcher_sees_probable_duplicates_and_merges_them(world: World) -> None:
    first = make_case(world)
    second, _ = services.appeal_submit(by=world.resident2, **submit_kwargs(world, description="同一盏灯"))
    c = login(world.community)
    html = c.get(f"/appeals/{second.pk}/").content.decode()
    assert 'id="appeal-duplicates"' in html and f'href="/appeals/{first.pk}/"' in html
    res = c.post(f"/appeals/{second.pk}/merge/", {"into": first.pk, "note": "同一问题"})
    assert res.status_code == 302
    second.refresh_from_db()
    assert second.state == State.MERGED and second.merged_into_id == first.pk
    assert f'href="/appeals/{second.pk}/"' in c.get(f"/appeals/{first.pk}/").content.decode()


def test_whistle_summons_a_department_which_reports_in_from_its_page(world: World) -> None:
    case = make_case(world, "dispatched")
    c = login(world.community)
    res = c.post(
        f"/appeals/{case.pk}/whistle/", {"reason": "需城管协同", "units": [str(world.department.pk)]}
    )
    assert res.status_code == 302
    html = c.get(f"/appeals/{case.pk}/").content.decode()
    assert "城市管理局" in html and "待报到" in html
    dept = login(world.department_staff)
    page = dept.get(f"/appeals/{case.pk}/").content.decode()
    assert 'id="action-report-in"' in page
    assert dept.post(f"/appeals/{case.pk}/report-in/", {"note": "已到场"}).status_code == 302
    assert "已报到" in c.get(f"/appeals/{case.pk}/").content.decode()
    # A whistle with nobody summoned is refused next to the field.
    res = c.post(f"/appeals/{case.pk}/whistle/", {"reason": "再吹一次"})
    assert res.status_code == 422 and "召集" in res.content.decode()


def test_staff_enter_a_hotline_case_with_the_reporters_phone(world: World) -> None:
    c = login(world.community)
    assert 'id="id_external_ref"' in c.get("/appeals/report/").content.decode()
    assert 'id="id_external_ref"' not in login(world.resident).get("/appeals/report/").content.decode()
    data = report_data(world, channel="hotline_12345", reporter_name="赵六", reporter_phone="13700001234")
    res = c.post("/appeals/report/", data)
    assert (
        res.status_code == 422 and 'id="error-external_ref"' in res.content.decode()
    )  # ticket number needed
    res = c.post("/appeals/report/", {**data, "token": "tok-9", "external_ref": "12345-0001"})
    assert res.status_code == 302
    case = Appeal.objects.get()
    assert case.channel == "hotline_12345" and case.external_ref == "12345-0001"
    assert case.reporter_phone == "13700001234" and case.state == State.OPENED  # hotline cases come verified
