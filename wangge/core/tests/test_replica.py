"""Read replicas: the router sends the figures' reads to ``replica`` (here the same database under a second
alias) and keeps the case loop, transactions and writes on the primary."""

from __future__ import annotations

import json
import subprocess
import textwrap
from typing import Any

import pytest
from django.db import router

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.core.models import AuditLog
from wangge.core.replica import ReplicaRouter, reading_from_replica
from wangge.testing import make_user

from ._support import PYTHON, REPO, child_env, database_url

SCRIPT = textwrap.dedent(
    """
    import json, sys, django
    django.setup()
    from django.db import connections, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from wangge.core.models import AuditLog
    from wangge.core.replica import freshness, reading_from_replica

    out = {"aliases": sorted(connections.settings), "outside": AuditLog.objects.all().db}
    with reading_from_replica():
        out["inside"] = AuditLog.objects.all().db
        out["write"] = AuditLog.objects.create(action="other", object_type="replica-test")._state.db
        with transaction.atomic():
            out["in_atomic"] = AuditLog.objects.all().db
    out["freshness"] = {k: str(v) for k, v in freshness().items()}
    client = Client(HTTP_AUTHORIZATION="Bearer " + sys.argv[1])
    with CaptureQueriesContext(connections["replica"]) as rq, CaptureQueriesContext(connections["default"]) as dq:
        res = client.get("/api/v1/metrics/appeals")
    out["figures"] = [res.status_code, res.headers.get("X-Wangge-Read-From"), len(rq), len(dq)]
    out["rollup_header"] = res.headers.get("X-Wangge-Rollup-Refreshed-At")
    with CaptureQueriesContext(connections["replica"]) as rq:
        res = client.get("/api/v1/auth/me")
    out["other"] = [res.status_code, res.headers.get("X-Wangge-Read-From"), len(rq)]
    print(json.dumps(out))
    """
)


@pytest.mark.django_db(transaction=True)
def test_the_figures_read_from_the_replica_and_the_rest_from_the_primary() -> None:
    token = token_create(user=make_user(Role.ADMIN))
    run = subprocess.run(
        [PYTHON, "-c", SCRIPT, token],
        cwd=REPO,
        env=child_env(DATABASE_REPLICA_URL=database_url()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["aliases"] == ["default", "replica"]
    assert (out["outside"], out["inside"], out["write"], out["in_atomic"]) == (
        "default",
        "replica",
        "default",
        "default",
    )
    assert out["freshness"]["read_from"] == "replica" and out["freshness"]["replica_lag_seconds"] == "0.0"
    status, read_from, replica_queries, default_queries = out["figures"]
    assert (status, read_from) == (200, "replica") and replica_queries >= 1
    assert out["rollup_header"] is not None
    assert out["other"] == [200, None, 0]  # the rest of the API is not routed
    assert AuditLog.objects.filter(object_type="replica-test").count() == 1  # the write reached the primary


def test_without_a_replica_the_router_routes_nothing(settings: Any) -> None:
    r = ReplicaRouter()
    with reading_from_replica():
        assert r.db_for_read(AuditLog) is None  # no "replica" alias configured here
    assert router.db_for_read(AuditLog) == "default"
    assert r.allow_migrate("replica", "core") is False and r.allow_migrate("default", "core") is True
