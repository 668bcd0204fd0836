"""Planner statistics after bulk loads (issue 12): the demo builder and the import ``ANALYZE`` what they
loaded. PostgreSQL's autovacuum may be off or behind after a bulk load (it is off on the development
machine): without statistics the planner guesses, and picks a join order or a sort that spills to disk."""

from __future__ import annotations

from django.db import connection, transaction

REGISTRY_TABLES = (
    "registry_building",
    "registry_house",
    "registry_houseowner",
    "registry_household",
    "registry_resident",
    "registry_tagging",
)


def analyze(tables: tuple[str, ...] = REGISTRY_TABLES, *, vacuum: bool = False) -> None:
    """``ANALYZE`` the tables (``VACUUM ANALYZE`` when ``vacuum`` and outside a transaction: it also sets the
    visibility map, so index-only scans — the registry's counts and deep pages — skip the heap)."""
    if connection.vendor == "postgresql":
        verb = (
            "VACUUM (ANALYZE)" if vacuum and not transaction.get_connection().in_atomic_block else "ANALYZE"
        )
        with connection.cursor() as cur:
            for table in tables:
                cur.execute(f"{verb} {table}")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cur:
            for table in tables:
                cur.execute(f"ANALYZE {table}")


def analyze_database() -> None:
    """Statistics for every table (the demo builder, after it loaded everything): ``VACUUM (ANALYZE)`` on
    PostgreSQL outside a transaction, ``ANALYZE`` inside one and on SQLite."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE" if transaction.get_connection().in_atomic_block else "VACUUM (ANALYZE)")
        elif connection.vendor == "sqlite":
            cur.execute("ANALYZE")
