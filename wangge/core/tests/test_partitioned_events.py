"""The event tables partitioned by month on PostgreSQL (docs/scale.md): the points ledger and the notifications
(the case timeline is in wangge/appeals/tests/test_partitioned_timeline.py, the audit log in
test_partitions.py). A user's ledger and a user's notifications are index scans, on the months the time bound
names; the ledger's uniqueness rules (moved to ``PointEntryKey``) still hold, across users and partitions;
converting a table that already has rows keeps them. SQLite keeps plain tables and the same rules."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from wangge.accounts.roles import Role
from wangge.core import partitions
from wangge.core.errors import Conflict
from wangge.notifications.models import Notification
from wangge.notifications.services import notify
from wangge.points import services as points
from wangge.points.models import PointEntry, PointEntryKey
from wangge.points.selectors import points_balance, points_ledger_sum
from wangge.testing import make_user

pg = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitioning is PostgreSQL's")


def _scanned(plan: str, table: str) -> set[str]:
    words = {w.strip("(),") for w in plan.split()}
    return {w for w in words if re.fullmatch(rf"{table}_(p\d{{6}}|default)", w)}


def _indexed(plan: str) -> bool:
    """Index scans, and sequential scans only of partitions the planner knows to be empty (never-written months,
    where a seq scan costs nothing)."""
    seq = [line for line in plan.splitlines() if "Seq Scan on" in line]
    return "Index" in plan and all("cost=0.00..0.00" in line for line in seq)


def _month_start(now: dt.datetime) -> dt.datetime:
    return dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_sqlite_keeps_plain_tables() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    for table in ("appeals_appealevent", "notifications_notification", "points_pointentry"):
        assert not partitions.is_partitioned(table)


@pg
@pytest.mark.django_db
def test_ledger_and_notifications_are_partitioned_with_months_ahead() -> None:
    month = _month_start(dt.datetime.now(dt.UTC)).date()
    for table in ("appeals_appealevent", "notifications_notification", "points_pointentry"):
        assert partitions.is_partitioned(table), table
        names = set(partitions.partitions(table))
        m = month
        for _ in range(partitions.AHEAD + 1):
            assert f"{table}_p{m:%Y%m}" in names
            m = partitions._next(m)
        assert f"{table}_default" in names


def _fill(table: str, columns: str, select: str, rows: int) -> None:
    """``rows`` filler rows of another user (so the planner has a reason to use an index), then ANALYZE."""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({columns}) SELECT {select} FROM generate_series(1, %s) g", [rows])
        cur.execute(f"ANALYZE {table}")


@pg
@pytest.mark.django_db
def test_a_users_ledger_is_an_index_scan_on_the_bounded_months() -> None:
    now = dt.datetime.now(dt.UTC)
    this = _month_start(now)
    old = _month_start(this - dt.timedelta(days=100))
    partitions.ensure(since=old)
    user, other = make_user(Role.RESIDENT, username="p1"), make_user(Role.RESIDENT, username="p2")
    entry = points.points_earn(user=user, rule_code="wish_fulfilled", source_key="wish:1")
    assert entry is not None
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM points_pointentry WHERE id = %s", [entry.pk])
        assert cur.fetchone()[0] == f"points_pointentry_p{this:%Y%m}"
    # 20,000 entries of another user spread over the last 100 days.
    _fill(
        "points_pointentry",
        "kind, points, balance_after, rule_code, source_key, quantity, factor, reason, created_at, user_id, "
        "period_key",
        f"'earn', 1, g, 'r', 'f' || g, 1, 1, '', now() - (g %% 100) * interval '1 day', {other.pk}, ''",
        20_000,
    )
    since = this - dt.timedelta(days=10)
    plan = (
        PointEntry.objects.filter(user=user, created_at__gte=since).order_by("-created_at", "-id").explain()
    )
    assert _indexed(plan), plan
    scanned = _scanned(plan, "points_pointentry")
    assert f"points_pointentry_p{old:%Y%m}" not in scanned, plan
    assert scanned <= {f"points_pointentry_p{m:%Y%m}" for m in (_month_start(since), this)} | {
        f"points_pointentry_p{m:%Y%m}" for m in _ahead(this)
    } | {"points_pointentry_default"}, plan
    # The whole ledger (no bound) is still read through the (user, created_at) index of each month.
    plan = PointEntry.objects.filter(user=user).order_by("-created_at", "-id")[:20].explain()
    assert _indexed(plan), plan
    assert list(PointEntry.objects.filter(user=user)) == [entry]


def _ahead(month: dt.datetime) -> list[dt.date]:
    out, m = [], month.date()
    for _ in range(partitions.AHEAD):
        m = partitions._next(m)
        out.append(m)
    return out


@pg
@pytest.mark.django_db
def test_a_users_notifications_are_an_index_scan_on_the_bounded_months() -> None:
    now = dt.datetime.now(dt.UTC)
    this = _month_start(now)
    old = _month_start(this - dt.timedelta(days=100))
    partitions.ensure(since=old)
    user, other = make_user(Role.RESIDENT, username="n1"), make_user(Role.RESIDENT, username="n2")
    notify(users=[user], event="test", title="测试通知", channels=("inapp",))
    _fill(
        "notifications_notification",
        "user_id, event, title, body, link, object_type, object_id, created_at",
        f"{other.pk}, 'e', 't', '', '', '', '', now() - (g %% 100) * interval '1 day'",
        20_000,
    )
    since = this - dt.timedelta(days=10)
    plan = Notification.objects.filter(user=user, created_at__gte=since).explain()
    assert _indexed(plan), plan
    assert f"notifications_notification_p{old:%Y%m}" not in _scanned(plan, "notifications_notification"), plan
    unread = Notification.objects.filter(user=user, read_at__isnull=True).explain()
    assert _indexed(unread), unread
    assert Notification.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_the_ledger_keys_pay_a_source_once_and_reverse_an_entry_once() -> None:
    """Both databases: the rules the ledger's unique constraints used to enforce, now ``PointEntryKey``."""
    a, b = make_user(Role.RESIDENT, username="k1"), make_user(Role.RESIDENT, username="k2")
    first = points.points_earn(user=a, rule_code="wish_fulfilled", source_key="wish:7")
    assert first is not None
    # Another user cannot earn the same (rule, source): the key refuses it, nothing is written.
    assert points.points_earn(user=b, rule_code="wish_fulfilled", source_key="wish:7") is None
    assert not PointEntry.objects.filter(user=b).exists()
    assert PointEntryKey.objects.get(key="earn:wish_fulfilled:wish:7").entry_id == first.pk
    staff = make_user(Role.DISTRICT, username="k-staff")
    reversal = points.points_reverse(entry=first, reason="误发", by=staff)
    assert PointEntryKey.objects.get(key=f"reverses:{first.pk}").entry_id == reversal.pk
    with pytest.raises(Conflict):
        points.points_reverse(entry=first, reason="再次冲正", by=staff)
    # Even a write that skips the service's check is refused by the key.
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntryKey.objects.create(key=f"reverses:{first.pk}", entry_id=0)
    assert points_balance(a) == 0 == points_ledger_sum(a)


@pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_earnings_of_one_source_by_different_users_pay_once() -> None:
    """Different users' accounts are locked apart: only the key serialises them (it was a partial unique index
    before the ledger was partitioned)."""
    users = [make_user(Role.RESIDENT, username=f"c{i}") for i in range(8)]
    barrier = threading.Barrier(len(users))
    paid: list[bool] = []

    def earn(user: object) -> None:
        try:
            barrier.wait()
            paid.append(
                points.points_earn(user=user, rule_code="wish_fulfilled", source_key="wish:99") is not None
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=earn, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert paid.count(True) == 1 and len(paid) == len(users)
    assert PointEntry.objects.filter(source_key="wish:99").count() == 1
    assert (
        sum(points_balance(u) for u in users) == PointEntry.objects.filter(source_key="wish:99").get().points
    )


@pg
@pytest.mark.django_db
def test_converting_a_table_with_rows_keeps_them_and_refuses_unique_keys_it_cannot_keep() -> None:
    """What the migrations do to an existing database: rows of several months move into their partitions,
    indexes, checks, foreign keys and the identity are kept; a unique index without the partition key stops the
    conversion unless the caller names it (and enforces it elsewhere)."""
    user = make_user(Role.RESIDENT, username="conv")
    now = dt.datetime.now(dt.UTC)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE scratch_events (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "at timestamptz NOT NULL, user_id bigint NOT NULL REFERENCES accounts_user(id), "
            "n integer NOT NULL CHECK (n >= 0), tag varchar(20) NOT NULL UNIQUE)"
        )
        cur.execute("CREATE INDEX scratch_events_user_at ON scratch_events (user_id, at)")
        cur.execute(
            "INSERT INTO scratch_events (at, user_id, n, tag) "
            "SELECT %s - g * interval '20 days', %s, g, 't' || g FROM generate_series(0, 9) g",
            [now, user.pk],
        )
        with pytest.raises(RuntimeError, match="scratch_events_tag_key"), transaction.atomic():
            partitions.partition_table(connection, "scratch_events", "at")
        dropped = partitions.partition_table(
            connection, "scratch_events", "at", drop_unique=("scratch_events_tag_key",)
        )
        assert dropped == ["scratch_events_tag_key"]
        assert partitions.is_partitioned("scratch_events")
        cur.execute("SELECT count(*), count(DISTINCT tableoid) FROM scratch_events")
        count, tables = cur.fetchone()
        assert count == 10 and tables >= 6  # 180 days span at least 6 months
        cur.execute("SELECT count(*) FROM scratch_events_default")
        assert cur.fetchone()[0] == 0
        cur.execute(
            "INSERT INTO scratch_events (at, user_id, n, tag) VALUES (now(), %s, 1, 'x') RETURNING id",
            [user.pk],
        )
        assert cur.fetchone()[0] == 11  # the identity continues
        with pytest.raises(Exception, match="scratch_events_n_check"), transaction.atomic():
            cur.execute(
                "INSERT INTO scratch_events (at, user_id, n, tag) VALUES (now(), %s, -1, 'y')", [user.pk]
            )
        with pytest.raises(Exception, match="foreign key"), transaction.atomic():
            cur.execute("INSERT INTO scratch_events (at, user_id, n, tag) VALUES (now(), 0, 1, 'z')")
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'scratch_events'")
        assert any("(user_id, at)" in d for (d,) in cur.fetchall())


@pg
@pytest.mark.django_db
def test_the_command_detaches_old_months_for_archive() -> None:
    from io import StringIO

    from django.core.management import call_command

    now = dt.datetime.now(dt.UTC)
    old = _month_start(_month_start(now) - dt.timedelta(days=70))
    partitions.ensure(since=old)
    user = make_user(Role.RESIDENT, username="arch")
    notify(users=[user], event="test", title="旧通知", channels=("inapp",))
    notify(users=[user], event="test", title="新通知", channels=("inapp",))
    first = Notification.objects.filter(user=user, title="旧通知").get()
    Notification.objects.filter(pk=first.pk).update(created_at=old + dt.timedelta(days=3))
    out = StringIO()
    call_command(
        "partitions",
        "--detach-before",
        f"{partitions._next(old.date()):%Y-%m}",
        "--table",
        "notifications_notification",
        stdout=out,
    )
    assert f"notifications_notification_p{old:%Y%m}" in out.getvalue()
    # The old month left the table (its rows are in the detached table, for the dump); the new one stayed.
    assert list(Notification.objects.filter(user=user).values_list("title", flat=True)) == ["新通知"]
    with connection.cursor() as cur:
        cur.execute(f"SELECT title FROM notifications_notification_p{old:%Y%m}")
        assert [r[0] for r in cur.fetchall()] == ["旧通知"]
    listing = StringIO()
    call_command("partitions", "--table", "notifications_notification", stdout=listing)
    assert f"notifications_notification_p{old:%Y%m}" not in listing.getvalue()
    assert "notifications_notification_default" in listing.getvalue()
