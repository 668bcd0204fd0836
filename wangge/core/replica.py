"""Read replicas: with ``DATABASE_REPLICA_URL`` set, the heavy read-only pages — the figures, the map layers,
the exports — read from a replica (a PostgreSQL streaming standby), and everything else from the primary.

Nothing is routed by model: the case loop must read its own writes. Reads go to the replica only inside
``reading_from_replica()`` — which ``ReplicaMiddleware`` opens for GET requests under
``WANGGE_REPLICA_PATHS`` — and never inside a transaction on the primary. Writes always go to the primary.
Those responses say where they read from and how fresh that is: ``X-Wangge-Read-From``,
``X-Wangge-Replica-Lag`` (seconds behind the primary) and ``X-Wangge-Rollup-Refreshed-At`` (the figures'
rollup as the replica sees it). ``freshness()`` gives the same to a page.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
DEFAULT_PATHS = (
    "/api/v1/metrics/",
    "/appeals/figures/",
    "/api/v1/areas/",  # the map's GeoJSON layers and the tree
    "/registry/residents/export/",
)
_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("wangge_use_replica", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


class ReplicaRouter:
    """Send reads to the replica inside ``reading_from_replica()``; everything else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _use_replica.get() and configured() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"  # the replica follows the primary's schema by replication


def replica_lag() -> float | None:
    """Seconds the replica is behind (0 on a database that is not a standby); None without a replica."""
    if not configured():
        return None
    conn = connections[REPLICA]
    if conn.vendor != "postgresql":
        return 0.0
    with conn.cursor() as cur:
        cur.execute(
            "SELECT CASE WHEN pg_is_in_recovery() THEN "
            "COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) ELSE 0 END"
        )
        return float(cur.fetchone()[0])


def rollup_refreshed_at() -> dt.datetime | None:
    """When the figures' rollup was last refreshed, read where the figures are read."""
    try:
        state = apps.get_model("appeals", "AppealRollupState")
    except LookupError:
        return None
    return state.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def freshness() -> dict[str, Any]:
    with reading_from_replica():
        return {
            "read_from": REPLICA if configured() else "default",
            "replica_lag_seconds": replica_lag(),
            "rollup_refreshed_at": rollup_refreshed_at(),
        }


class ReplicaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.paths = tuple(getattr(settings, "WANGGE_REPLICA_PATHS", DEFAULT_PATHS))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or not request.path.startswith(self.paths)
            or not configured()
        ):
            return self.get_response(request)
        with reading_from_replica():
            response = self.get_response(request)
            response["X-Wangge-Read-From"] = REPLICA
            try:
                lag, refreshed = replica_lag(), rollup_refreshed_at()
            except Exception:  # a replica that is down must not turn a served page into an error
                return response
            response["X-Wangge-Replica-Lag"] = f"{lag:.1f}" if lag is not None else ""
            response["X-Wangge-Rollup-Refreshed-At"] = refreshed.isoformat() if refreshed else ""
        return response
