"""Reads: mediation counts against a hand-computed table, masking in lists, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.core.errors import Forbidden, InvalidInput
from wangge.testing import api_client, make_user

from .. import selectors, services
from ..models import Dispute

pytestmark = pytest.mark.django_db


def _parties(i: int) -> list[dict]:
    return [
        {"name": f"赵建国{i}", "phone": f"1391234{i:04d}", "side": "applicant"},
        {"name": "钱立新", "phone": "13887654321", "side": "respondent"},
    ]


def _dispute(area, kind: str, outcome: str, by, i: int = 0, opened_at=None) -> Dispute:
    d = services.dispute_open(
        area=area, kind=kind, matter=f"纠纷{i}", parties=_parties(i), by=by, now=opened_at
    )
    if outcome:
        services.session_record(dispute=d, notes="调解一次", by=by, held_at=d.opened_at)
        services.dispute_close(dispute=d, outcome=outcome, terms="协议条款", referred_to="区住建局", by=by)
    return d


@pytest.fixture
def disputes(world):
    t = world.tree
    street = make_user(Role.STREET_STAFF, t.street, display_name="街道综治办")
    table = [
        (t.grid_a, "neighbour", "agreement"),
        (t.grid_a, "neighbour", "agreement"),
        (t.grid_a, "neighbour", ""),
        (t.grid_a, "property", "referred_department"),
        (t.grid_b, "family", "agreement"),
        (t.grid_b, "neighbour", "failed"),
        (t.grid_c, "company", "referred_court"),
        (t.grid_c, "neighbour", "agreement"),
    ]
    for i, (area, kind, outcome) in enumerate(table):
        _dispute(area, kind, outcome, street, i)
    world.extra["street"] = street
    return world


def test_counts_by_kind_and_outcome_per_community_hand_computed(disputes) -> None:
    stats = selectors.mediation_counts(viewer=disputes.extra["street"], level="community")
    assert stats["total"] == 8
    assert stats["by_kind"] == {"neighbour": 5, "property": 1, "family": 1, "company": 1}
    assert stats["by_outcome"] == {
        "agreement": 4,
        "pending": 1,
        "referred_department": 1,
        "failed": 1,
        "referred_court": 1,
    }
    assert stats["agreement_rate"] == round(4 / 7, 4)  # 4 agreements among 7 closed
    east, west = stats["areas"]
    assert (east["area_code"], east["area_name"], east["total"]) == ("320621001001", "东园社区", 6)
    assert east["by_kind"] == {"neighbour": 4, "property": 1, "family": 1}
    assert east["by_outcome"] == {"agreement": 3, "pending": 1, "referred_department": 1, "failed": 1}
    assert (west["area_code"], west["total"]) == ("320621001002", 2)
    assert west["by_outcome"] == {"referred_court": 1, "agreement": 1}


def test_counts_per_grid_within_the_viewers_scope(disputes) -> None:
    stats = selectors.mediation_counts(viewer=disputes.staff, level="grid")
    assert stats["total"] == 6
    assert [(a["area_code"], a["total"]) for a in stats["areas"]] == [
        ("320621001001001", 4),
        ("320621001001002", 2),
    ]
    assert stats["areas"][0]["by_kind"] == {"neighbour": 3, "property": 1}


def test_counts_by_period(disputes) -> None:
    old = Dispute.objects.filter(area=disputes.tree.grid_c, kind="company").get()
    Dispute.objects.filter(pk=old.pk).update(opened_at=timezone.now() - dt.timedelta(days=400))
    since = timezone.now() - dt.timedelta(days=30)
    stats = selectors.mediation_counts(viewer=disputes.extra["street"], since=since)
    assert stats["total"] == 7 and "company" not in stats["by_kind"]


def test_counts_need_the_permission_and_a_valid_level(disputes) -> None:
    with pytest.raises(Forbidden):
        selectors.mediation_counts(viewer=disputes.residents_a[0])
    with pytest.raises(InvalidInput):
        selectors.mediation_counts(viewer=disputes.staff, level="planet")


def test_parties_are_masked_in_the_list_api_and_query_count_is_flat(
    disputes, django_assert_max_num_queries
) -> None:
    client = api_client(disputes.extra["street"])
    with django_assert_max_num_queries(9):
        r = client.get("/api/v1/mediations")
    assert r.status_code == 200
    rows = r.json()
    assert len(rows) == 8
    names = [p["name"] for d in rows for p in d["parties"]]
    phones = [p["phone"] for d in rows for p in d["parties"]]
    assert all(n.startswith(("赵*", "钱*")) and "建国" not in n and "立新" not in n for n in names)
    assert "138****4321" in phones and all("****" in p for p in phones)


def test_parties_are_masked_in_the_list_page(disputes, client) -> None:
    client.force_login(disputes.extra["street"])
    html = client.get("/deliberation/mediations/").content.decode()
    assert "钱**" in html and "138****4321" in html
    assert "钱立新" not in html and "13887654321" not in html


def test_proposal_list_query_count(world, django_assert_max_num_queries) -> None:
    for i in range(6):
        services.proposal_create(
            by=world.residents_a[i % 4], title=f"提议{i}", body="一二三四五六七八九十，具体内容", scope="grid"
        )
    client = api_client(world.residents_a[0])
    with django_assert_max_num_queries(8):
        r = client.get("/api/v1/proposals")
    assert r.status_code == 200 and len(r.json()) == 6
