"""Event tables partitioned by month on PostgreSQL (declarative RANGE partitioning); SQLite keeps plain tables.

An event table grows without end (the audit log first; the case timeline, notifications and the points ledger
can follow with one migration each calling ``partition_table``). Partitioned by month on its time column:

* reads that matter name a time range (the audit page, a month's figures) and scan one partition's index;
* old months can be detached for archive (``detach``) instead of deleted row by row;
* the periodic step ``tick`` creates the partitions ``AHEAD`` months ahead, so rows never pile up in the
  DEFAULT partition; if some did (a clock far ahead, a restore), ``ensure`` moves them into their month.

Django has no composite primary keys: the table's primary key becomes ``(id, <time column>)`` in SQL while
Django keeps using ``id`` (unique by its identity sequence). Hence no foreign key may point *to* a
partitioned table (docs/scale.md; django-postgres-extra #146, #178).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

log = logging.getLogger("wangge.partitions")

AHEAD = 3  # months of partitions kept ready after the current one
# table → the time column it is partitioned on (those converted by a migration).
# ``appeals_appeal`` is partitioned only by the city simulation (bench/city.py); ``ensure`` skips plain tables.
PARTITIONED: dict[str, str] = {
    "core_auditlog": "at",
    "appeals_appealevent": "at",
    "notifications_notification": "created_at",
    "points_pointentry": "created_at",
    "appeals_appeal": "reported_at",
}


def _month(d: dt.datetime) -> dt.date:
    """The month (in UTC: partition bounds do not depend on the session's time zone) holding ``d``."""
    d = d.astimezone(dt.UTC)
    return dt.date(d.year, d.month, 1)


def _bound(month: dt.date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def _next(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def is_partitioned(table: str, conn: Any = None) -> bool:
    conn = conn or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cur.fetchone() is not None


def partitions(table: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [table],
        )
        return [r[0] for r in cur.fetchall()]


def _create_month(cur: Any, table: str, column: str, month: dt.date) -> bool:
    """Create (or fill from DEFAULT and attach) the partition of ``month``. False if it already exists."""
    name = _name(table, month)
    cur.execute("SELECT to_regclass(%s)", [name])
    if cur.fetchone()[0] is not None:
        return False
    lo, hi = _bound(month), _bound(_next(month))
    default = f"{table}_default"
    cur.execute(f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    # Rows of this month that landed in DEFAULT must move, or ATTACH fails (the default's constraint).
    cur.execute(
        f"WITH moved AS (DELETE FROM {_q(default)} WHERE {_q(column)} >= %s AND {_q(column)} < %s RETURNING *) "
        f"INSERT INTO {_q(name)} SELECT * FROM moved",
        [lo, hi],
    )
    cur.execute(f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} FOR VALUES FROM (%s) TO (%s)", [lo, hi])
    return True


def ensure(
    now: dt.datetime | None = None, tables: dict[str, str] | None = None, since: dt.datetime | None = None
) -> list[str]:
    """Create the partitions from this month (or the month of ``since``) to ``AHEAD`` months on. Returns the
    partitions created."""
    if connection.vendor != "postgresql":
        return []
    month = _month(now or timezone.now())
    first = min(_month(since), month) if since else month
    count = AHEAD + 1
    m = first
    while m < month:
        m, count = _next(m), count + 1
    created: list[str] = []
    for table, column in (tables or PARTITIONED).items():
        if not is_partitioned(table):
            continue
        m = first
        for _ in range(count):
            try:
                with transaction.atomic(), connection.cursor() as cur:
                    if _create_month(cur, table, column, m):
                        created.append(_name(table, m))
            except Exception:  # another server created it at the same moment: fine (AWX does the same)
                log.info("partition %s already being created", _name(table, m), exc_info=True)
            m = _next(m)
    return created


def tick(now: dt.datetime) -> dict[str, list[str]] | None:
    """The periodic step (daily): partitions ahead for every partitioned table."""
    created = ensure(now)
    return {"created": created} if created else None


def detach(table: str, month: dt.date) -> str:
    """Detach one month for archive (dump it, then drop it); its rows leave the table."""
    name = _name(table, dt.date(month.year, month.month, 1))
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(name)}")
    return name


def months(table: str) -> list[tuple[str, dt.date | None, int]]:
    """The partitions of ``table`` as (name, month or None for DEFAULT, estimated rows), oldest first."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [table],
        )
        out: list[tuple[str, dt.date | None, int]] = []
        for name, rows in cur.fetchall():
            suffix = name.rsplit("_p", 1)[-1]
            month = (
                dt.date(int(suffix[:4]), int(suffix[4:]), 1)
                if suffix.isdigit() and len(suffix) == 6
                else None
            )
            out.append((name, month, max(int(rows), 0)))
        return out


def _unique_without(cur: Any, table: str, column: str) -> list[str]:
    """The unique indexes (and unique constraints) of ``table`` that do not contain ``column``: a partitioned
    table cannot have them (PostgreSQL needs the partition key in every unique key)."""
    cur.execute(
        "SELECT i.relname FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
        "WHERE ix.indrelid = to_regclass(%s) AND ix.indisunique AND NOT ix.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = ix.indrelid "
        "AND a.attnum = ANY(ix.indkey) AND a.attname = %s)",
        [table, column],
    )
    return sorted(r[0] for r in cur.fetchall())


def partition_table(
    conn: Any,
    table: str,
    column: str,
    now: dt.datetime | None = None,
    drop_unique: tuple[str, ...] | str = (),
) -> list[str]:
    """Turn a plain PostgreSQL table into one partitioned by month on ``column``, keeping its rows, indexes,
    check and foreign-key constraints and identity. For a migration (``RunPython``); no-op elsewhere.

    A unique index without ``column`` cannot exist on the partitioned table: each must be named in
    ``drop_unique`` (the caller enforces that uniqueness another way) or the conversion stops ("*": drop
    all, for the simulation). A foreign key pointing *to* the table must have been removed first
    (``db_constraint=False``). Returns the unique indexes dropped."""
    if conn.vendor != "postgresql" or is_partitioned(table, conn):
        return []
    q = conn.ops.quote_name
    old = f"{table}_unpartitioned"
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE confrelid = to_regclass(%s) "
            "AND contype = 'f' AND conparentid = 0",
            [table],
        )
        incoming = cur.fetchall()
        if incoming:
            raise RuntimeError(
                f"foreign keys point to {table}; make them db_constraint=False first: {incoming}"
            )
        unique = _unique_without(cur, table, column)
        dropped = unique if drop_unique == "*" else [u for u in unique if u in drop_unique]
        if set(unique) - set(dropped):
            raise RuntimeError(
                f"{table}: unique indexes without {column}: {sorted(set(unique) - set(dropped))}"
            )
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
            [table],
        )
        indexes = [(n, d) for n, d in cur.fetchall() if not n.endswith("_pkey") and n not in dropped]
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
            "AND contype = 'f'",
            [table],
        )
        foreign = cur.fetchall()
        cur.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'", [table]
        )
        pkey = cur.fetchone()[0]
        cur.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        cur.execute(f"ALTER TABLE {q(old)} RENAME CONSTRAINT {q(pkey)} TO {q(old + '_pkey')}")
        cur.execute(
            f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS) "
            f"PARTITION BY RANGE ({q(column)})"
        )
        cur.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(pkey)} PRIMARY KEY (id, {q(column)})")
        cur.execute(f"CREATE TABLE {q(table + '_default')} PARTITION OF {q(table)} DEFAULT")
        cur.execute(f"SELECT min({q(column)}) FROM {q(old)}")
        first = cur.fetchone()[0]
        current = _month(now or timezone.now())
        month = min(_month(first), current) if first else current
        stop = current
        for _ in range(AHEAD + 1):
            stop = _next(stop)
        while month < stop:
            cur.execute(
                f"CREATE TABLE {q(_name(table, month))} PARTITION OF {q(table)} FOR VALUES FROM (%s) TO (%s)",
                [_bound(month), _bound(_next(month))],
            )
            month = _next(month)
        cur.execute(f"INSERT INTO {q(table)} SELECT * FROM {q(old)}")
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(max(id), 0) + 1, false) FROM {q(old)}",
            [table],
        )
        cur.execute(f"DROP TABLE {q(old)}")
        for _index, definition in indexes:  # captured before the rename: they name the new table
            cur.execute(definition)
        for name, definition in foreign:
            cur.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
    return dropped
