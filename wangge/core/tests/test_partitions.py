"""The audit log partitioned by month on PostgreSQL: rows land in their month, partitions are made ahead by the
periodic step (rows stranded in DEFAULT move into their month), a month's read touches one partition, and a
month can be detached for archive. SQLite keeps the plain table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from wangge.core import partitions
from wangge.core.models import AuditLog

pytestmark = pytest.mark.django_db


def _where(pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM core_auditlog WHERE id = %s", [pk])
        return cur.fetchone()[0]


def _log_at(at: dt.datetime, object_type: str = "t") -> AuditLog:
    row = AuditLog.objects.create(action="other", object_type=object_type)
    # ``at`` is auto_now_add; a row of another month is written as an import or a restore would write it.
    AuditLog.objects.filter(pk=row.pk).update(at=at)
    return row


def test_sqlite_keeps_a_plain_table_and_the_step_does_nothing() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert not partitions.is_partitioned("core_auditlog")
    assert partitions.tick(dt.datetime.now(dt.UTC)) is None


def test_the_audit_log_is_partitioned_by_month_with_partitions_ahead() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("partitioning is PostgreSQL's")
    now = dt.datetime.now(dt.UTC)
    assert partitions.is_partitioned("core_auditlog")
    names = partitions.partitions("core_auditlog")
    month = dt.date(now.year, now.month, 1)
    expected = [month]
    for _ in range(partitions.AHEAD):
        expected.append(partitions._next(expected[-1]))
    assert {f"core_auditlog_p{m:%Y%m}" for m in expected} <= set(names) and "core_auditlog_default" in names

    this = AuditLog.objects.create(action="other", object_type="now")
    assert _where(this.pk) == f"core_auditlog_p{month:%Y%m}"
    # Django still addresses a row by id, and the id keeps counting.
    assert AuditLog.objects.get(pk=this.pk).object_type == "now"
    assert AuditLog.objects.create(action="other", object_type="next").pk > this.pk

    # A row far ahead lands in DEFAULT; the periodic step that reaches its month moves it into its partition.
    far = dt.datetime(now.year + 2, 6, 15, 12, 0, tzinfo=dt.UTC)
    stranded = _log_at(far, "far")
    assert _where(stranded.pk) == "core_auditlog_default"
    out = partitions.tick(far)
    assert out is not None and f"core_auditlog_p{far.year}06" in out["created"]
    assert _where(stranded.pk) == f"core_auditlog_p{far.year}06"
    assert partitions.tick(far) is None  # idempotent

    # A month's audit page reads one partition (the others are pruned from the plan).
    lo = dt.datetime(far.year, 6, 1, tzinfo=dt.UTC)
    plan = AuditLog.objects.filter(at__gte=lo, at__lt=lo + dt.timedelta(days=30), object_type="far").explain()
    scanned = {w for w in plan.replace("(", " ").split() if w.startswith("core_auditlog_")}
    assert {s for s in scanned if not s.endswith(("_idx", "_pkey", "_like"))} <= {
        f"core_auditlog_p{far.year}06"
    }, plan

    # Archive: detaching the month takes its rows out of the table.
    assert partitions.detach("core_auditlog", dt.date(far.year, 6, 1)) == f"core_auditlog_p{far.year}06"
    assert not AuditLog.objects.filter(pk=stranded.pk).exists()
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM core_auditlog_p{far.year}06")
        assert cur.fetchone()[0] == 1
