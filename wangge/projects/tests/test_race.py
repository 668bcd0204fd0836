"""Two approvers at once: the conditional update lets exactly one win (real concurrent requests)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection

from wangge.accounts.roles import Role
from wangge.projects import services
from wangge.projects.models import Project
from wangge.testing import api_client, make_tree, make_user


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_settle_once() -> None:
    tree = make_tree()
    secretary = make_user(Role.COMMUNITY_STAFF, tree.community)
    approvers = [make_user(Role.STREET_STAFF, tree.street) for _ in range(4)]
    p = services.project_declare(by=secretary, area=tree.community, title="充电棚", kind="livelihood")
    barrier = threading.Barrier(len(approvers))
    codes: list[int] = []

    def approve(user: Any) -> None:
        client = api_client(user)
        barrier.wait()
        try:
            codes.append(client.post(f"/api/v1/projects/{p.pk}/approve", json.dumps({}),
                                     content_type="application/json").status_code)  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409, 409, 409], codes
    assert Project.objects.get(pk=p.pk).approved_by_id in {u.pk for u in approvers}
