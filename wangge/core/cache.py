"""Per-process caches of small, hot, rarely-changed rows (the category catalogue, areas, an area's staff,
API tokens), invalidated through change stamps in the database (``CacheVersion``).

A cache entry remembers the stamps of the table families it depends on. Reading an entry compares them
with the current stamps; the stamps are read with one query per request (memoised between Django's
``request_started`` and ``request_finished``) and with one query per call outside a request (management
commands, tests calling services directly), so nothing is ever served stale across processes: a change
committed by another app server is seen by the next request that starts after the commit.

The stamps are moved by database triggers, not by Python code, so admin edits, ``QuerySet.update``,
``bulk_create`` and raw SQL all invalidate. ``trigger_sql`` writes those triggers for SQLite and
PostgreSQL; each app installs the ones for its own tables in a migration.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from django.core.signals import request_finished, request_started
from django.db import connection

T = TypeVar("T")

FAMILIES = ("category", "area", "post", "user", "token")

_local = threading.local()


def _on_request_started(**kwargs: Any) -> None:
    _local.in_request = True
    _local.stamps = None


def _on_request_finished(**kwargs: Any) -> None:
    _local.in_request = False
    _local.stamps = None


request_started.connect(_on_request_started, dispatch_uid="wangge.core.cache.started")
request_finished.connect(_on_request_finished, dispatch_uid="wangge.core.cache.finished")


def stamps() -> dict[str, int]:
    """The current change stamps: one query, memoised for the rest of the request."""
    if getattr(_local, "in_request", False) and _local.stamps is not None:
        memo: dict[str, int] = _local.stamps
        return memo
    from .models import CacheVersion

    current = dict(CacheVersion.objects.values_list("key", "version"))
    if len(current) < len(FAMILIES):
        # A flush (tests) or a hand-cleared table removed stamp rows: seed them with fresh random stamps (a
        # fixed seed value could match a cache filled before the flush).
        missing = [f for f in FAMILIES if f not in current]
        CacheVersion.objects.bulk_create(
            [CacheVersion(key=f, version=secrets.randbits(62)) for f in missing], ignore_conflicts=True
        )
        current = dict(CacheVersion.objects.values_list("key", "version"))
    if getattr(_local, "in_request", False):
        _local.stamps = current
    return current


def forget_stamps() -> None:
    """Read the stamps again at the next look-up (after a write in this request that moved one)."""
    _local.stamps = None


class VersionedCache(Generic[T]):
    """``key → value`` for this process, valid while the stamps of ``families`` are unchanged. A family
    without a stamp row (e.g. after a test flushed the table) is never cached: always read through."""

    def __init__(self, families: Iterable[str], max_entries: int = 50_000) -> None:
        self.families = tuple(families)
        self.max_entries = max_entries
        self._data: dict[Hashable, T] = {}
        self._stamp: tuple[int | None, ...] | None = None
        self._lock = threading.Lock()

    def _current(self) -> tuple[int | None, ...]:
        s = stamps()
        return tuple(s.get(f) for f in self.families)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        if not getattr(_local, "in_request", False):
            # Outside a request (management commands, periodic steps, tests calling services): read through,
            # as if there were no cache — nothing to amortise the stamp check over.
            return load()
        current = self._current()
        if None in current:
            return load()
        with self._lock:
            if current != self._stamp:
                self._data = {}
                self._stamp = current
            if key in self._data:
                return self._data[key]
        value = load()
        with self._lock:
            if self._stamp == current:
                if len(self._data) >= self.max_entries:
                    self._data.clear()
                self._data[key] = value
        return value

    def put(self, key: Hashable, value: T) -> None:
        """Replace an entry loaded under the current stamps (e.g. a token's touch time)."""
        with self._lock:
            if key in self._data:
                self._data[key] = value

    def clear(self) -> None:
        with self._lock:
            self._data = {}
            self._stamp = None


def instance(model: type[Any], values: dict[str, Any]) -> Any:
    """A fresh model instance from cached column values (never share one mutable instance between requests)."""
    names = list(values)
    return model.from_db(connection.alias, names, [values[n] for n in names])


def trigger_sql(
    vendor: str, table: str, family: str, *, events: Iterable[str], columns: Iterable[str] = ()
) -> list[str]:
    """SQL creating the triggers that move ``family``'s stamp on ``events`` (INSERT/UPDATE/DELETE) of
    ``table``; ``columns`` limits UPDATE to changes of those columns (a token's ``last_used_at`` touch must
    not flush every process's token cache)."""
    events = [e.upper() for e in events]
    cols = list(columns)
    name = f"wg_stamp_{table}"
    if vendor == "postgresql":
        fn = (
            "CREATE OR REPLACE FUNCTION wangge_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO core_cacheversion (key, version) VALUES (TG_ARGV[0], "
            "(random() * 9.0e18)::bigint) ON CONFLICT (key) DO UPDATE SET version = EXCLUDED.version; "
            "RETURN NULL; END $$"
        )
        evs = " OR ".join(f"UPDATE OF {', '.join(cols)}" if e == "UPDATE" and cols else e for e in events)
        return [
            fn,
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {evs} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION wangge_stamp('{family}')",
        ]
    if vendor == "sqlite":
        out = []
        for e in events:
            ev = f"UPDATE OF {', '.join(cols)}" if e == "UPDATE" and cols else e
            trig = f"{name}_{e.lower()}"
            out.append(f"DROP TRIGGER IF EXISTS {trig}")
            out.append(
                f"CREATE TRIGGER {trig} AFTER {ev} ON {table} BEGIN "
                f"INSERT OR REPLACE INTO core_cacheversion (key, version) VALUES ('{family}', abs(random())); END"
            )
        return out
    return []  # other databases: no stamps row is ever written → the caches read through


def install_triggers(
    schema_editor: Any, specs: Iterable[tuple[str, str, Iterable[str], Iterable[str]]]
) -> None:
    """For a migration's RunPython: ``specs`` are ``(table, family, events, columns)``; seeds the stamp rows."""
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cur:
        for table, family, events, columns in specs:
            for sql in trigger_sql(vendor, table, family, events=events, columns=columns):
                cur.execute(sql)
            if vendor in ("postgresql", "sqlite"):
                cur.execute(
                    "INSERT INTO core_cacheversion (key, version) VALUES (%s, 1) ON CONFLICT (key) DO NOTHING",
                    [family],
                )


def ensure_stamps() -> None:
    """Seed the stamp rows if a flush removed them (transactional tests); the migrations seed them once."""
    stamps()
