"""The API and the pages: scores with items and paged evidence, scope, grades, 金牌网格员 nominations."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.testing import PASSWORD, api_client, make_user

from .. import services
from ..models import Nomination
from .helpers import OCT, active_scheme, make_month

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def world(tree, settings):
    settings.WANGGE_ASSESSMENT = {"min_sample": 1, "nominate_top": 1}
    m = make_month(tree)
    gw_a = make_user(Role.GRID_WORKER, tree.grid_a, display_name="甲")
    gw_b = make_user(Role.GRID_WORKER, tree.grid_b, display_name="乙")
    Appeal.objects.filter(pk__in=[m.cases["A"].pk, m.cases["B"].pk]).update(lead_user=gw_a)
    Appeal.objects.filter(pk=m.cases["C"].pk).update(lead_user=gw_b)
    scheme = active_scheme(m, subject_kind="grid_worker", name="网格员月度考评")
    run = services.score_compute(scheme=scheme, period_start=OCT)
    return {"m": m, "gw_a": gw_a, "gw_b": gw_b, "scheme": scheme, "run": run}


def test_score_detail_lists_items_and_evidence_pages_in_scope_only(world, tree):
    score = world["run"].scores.get(user=world["gw_a"])
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = api_client(staff)
    r = c.get(f"/api/v1/assessment/scores/{score.pk}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == float(score.total) == round(sum(i["points"] for i in body["items"]), 2)
    res = next(i for i in body["items"] if i["figure"] == "appeals.resolution_rate")
    assert {e["id"] for e in res["evidence"]} == {world["m"].cases["A"].pk, world["m"].cases["B"].pk}
    assert (res["numerator"], res["denominator"], res["value"]) == (1, 2, 0.5)
    page = c.get(f"/api/v1/assessment/scores/{score.pk}/items/{res['id']}/evidence?limit=1&offset=1").json()
    assert page["count"] == 2 and len(page["evidence"]) == 1
    assert page["evidence"][0]["url"].startswith("/appeals/")
    # Another community's worker, and a resident: 404 / 403, nothing revealed.
    assert (
        api_client(make_user(Role.COMMUNITY_STAFF, tree.other_community))
        .get(f"/api/v1/assessment/scores/{score.pk}")
        .status_code
        == 404
    )
    assert (
        api_client(make_user(Role.RESIDENT)).get(f"/api/v1/assessment/scores/{score.pk}").status_code == 403
    )


def test_ranking_endpoint_and_bad_periods(world, tree):
    c = api_client(world["m"].staff)
    scheme = world["scheme"]
    r = c.get(f"/api/v1/assessment/rankings?scheme={scheme.pk}&period=2025-10")
    assert r.status_code == 200, r.content
    scores = r.json()["scores"]
    assert [s["subject"] for s in scores] == ["甲", "乙"] and scores[0]["rank"] == 1
    bad = c.get(f"/api/v1/assessment/rankings?scheme={scheme.pk}&period=2025-13")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"
    assert c.get(f"/api/v1/assessment/rankings?scheme={scheme.pk}&period=2025-09").status_code == 404


def test_scheme_api_refuses_to_edit_an_active_version(world):
    c = api_client(world["m"].staff)
    scheme = world["scheme"]
    r = _post(
        c,
        f"/api/v1/assessment/schemes/{scheme.pk}/items",
        {"items": [{"figure": "visits.completion", "weight": 100}]},
    )
    assert r.status_code == 409
    r = _post(c, f"/api/v1/assessment/schemes/{scheme.pk}/versions", {})
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["state"] == "draft"
    r = _post(c, "/api/v1/assessment/schemes", {
        "name": "新方案", "area": "320621", "subject_kind": "grid", "period": "monthly",
        "items": [{"figure": "nope.x", "weight": 10}],
    })  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "figure"


def test_grade_is_data_on_the_post_and_shows_on_the_score(world, tree):
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    post = Post.objects.get(user=world["gw_a"])
    c = api_client(staff)
    r = _post(
        c, "/api/v1/assessment/grades", {"post_id": post.pk, "tier": 3, "level": 7, "since": "2025-01-01"}
    )
    assert r.status_code == 422
    r = _post(
        c, "/api/v1/assessment/grades", {"post_id": post.pk, "tier": 3, "level": 2, "since": "2025-01-01"}
    )
    assert r.status_code == 200 and r.json()["grade"] == "三岗二级"
    score = world["run"].scores.get(user=world["gw_a"])
    assert c.get(f"/api/v1/assessment/scores/{score.pk}").json()["grade"] == "三岗二级"
    outsider = api_client(make_user(Role.COMMUNITY_STAFF, tree.other_community))
    r = _post(
        outsider,
        "/api/v1/assessment/grades",
        {"post_id": post.pk, "tier": 1, "level": 1, "since": "2025-01-01"},
    )
    assert r.status_code == 404
    assert (
        api_client(world["gw_a"])
        .post(
            "/api/v1/assessment/grades",
            json.dumps({"post_id": post.pk, "tier": 1, "level": 1, "since": "2025-01-01"}),
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_nominate_the_top_of_a_community_ranking_and_confirm_once(world, tree):
    nominator = make_user(Role.COMMUNITY_STAFF, tree.community)
    confirmer = make_user(Role.COMMUNITY_STAFF, tree.community)
    top = world["run"].scores.get(user=world["gw_a"])
    second = world["run"].scores.get(user=world["gw_b"])
    assert top.total > second.total
    c = api_client(nominator)
    r = _post(c, "/api/v1/assessment/nominations", {"score_id": second.pk})
    assert r.status_code == 422 and "前 1" in r.json()["detail"]
    r = _post(c, "/api/v1/assessment/nominations", {"score_id": top.pk, "reason": "办件快"})
    assert r.status_code == 201, r.content
    nom_id = r.json()["id"]
    assert _post(c, "/api/v1/assessment/nominations", {"score_id": top.pk}).status_code == 409
    assert (
        _post(c, f"/api/v1/assessment/nominations/{nom_id}/confirm", {}).status_code == 403
    )  # own nomination
    r = _post(api_client(confirmer), f"/api/v1/assessment/nominations/{nom_id}/confirm", {"note": "同意"})
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    r = _post(api_client(confirmer), f"/api/v1/assessment/nominations/{nom_id}/reject", {})
    assert r.status_code == 409
    assert Nomination.objects.get(pk=nom_id).state == "confirmed"


def test_pages_ranking_score_evidence_and_grade_error(world, tree):
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = Client()
    assert c.login(username=staff.username, password=PASSWORD)
    scheme = world["scheme"]
    score = world["run"].scores.get(user=world["gw_a"])
    r = c.get(f"/assessment/schemes/{scheme.pk}/ranking/?period=2025-10")
    assert r.status_code == 200 and f"/assessment/scores/{score.pk}/" in r.content.decode()
    r = c.get(f"/assessment/scores/{score.pk}/")
    html = r.content.decode()
    assert (
        r.status_code == 200 and str(score.total) in html and f"/appeals/{world['m'].cases['A'].pk}/" in html
    )
    item = score.items.get(figure="appeals.resolution_rate")
    r = c.get(f"/assessment/scores/{score.pk}/items/{item.pk}/")
    assert r.status_code == 200 and f"#{world['m'].cases['B'].pk}" in r.content.decode()
    assert c.get(f"/assessment/schemes/{scheme.pk}/").status_code == 200
    post = Post.objects.get(user=world["gw_a"])
    r = c.post(
        f"/assessment/grades/{post.pk}/", {"tier": "1", "level": "2", "since": "2999-01-01"}, follow=True
    )
    assert "定级日期" in r.content.decode()
    from ..models import GridWorkerGrade

    assert not GridWorkerGrade.objects.exists()


def test_ranking_queries_do_not_grow_with_the_subjects(world, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = api_client(world["m"].staff)
    url = f"/api/v1/assessment/rankings?scheme={world['scheme'].pk}&period=2025-10"
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    for i in range(4):
        make_user(Role.GRID_WORKER, tree.grid_b, display_name=f"丙{i}")
    services.score_compute(scheme=world["scheme"], period_start=OCT)
    c.get(url)  # the scope cache reloads once after posts change
    with CaptureQueriesContext(connection) as big:
        body = c.get(url).json()
    assert len(body["scores"]) == 6
    assert len(big) == len(small)
