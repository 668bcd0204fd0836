"""Personal data at rest: the database holds no plaintext ID number or phone, only ciphertext and keyed
hashes; sensitive tags are stored as keyed tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from wangge.core import pii
from wangge.registry import services
from wangge.registry.models import Resident, Tag
from wangge.testing import make_id_number

from .factories import admin_user, make_resident


def _database_text() -> bytes:
    """Everything the database holds, as bytes: the SQLite file and its WAL, or every PostgreSQL row."""
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    with connection.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'"
        )
        tables = [t for (t,) in cur.fetchall()]
        chunks = []
        for table in tables:
            cur.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608 (catalogue names)
            chunks.extend(r for (r,) in cur.fetchall())
    return "\n".join(chunks).encode()


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_no_plaintext_id_number(tree: Any) -> None:
    admin = admin_user()
    id_number = make_id_number("19661231", 777)
    r = make_resident(tree.grid_a, admin, name="甲乙丙", id_number=id_number, phone="13912345678")
    low = Tag.objects.get(code="low_income")
    services.tag_assign(tag=low, household=r.household, by=admin)
    services.resident_reveal(resident=r, field="id_number", by=admin)
    services.resident_update(resident=r, phone="13987654321", by=admin)
    raw = _database_text()
    assert "甲乙丙".encode() in raw  # the check can see committed data …
    for secret in (id_number, "13912345678", "13987654321"):
        assert secret.encode() not in raw  # … and no personal number is in it
    assert pii.tag_token("low_income").encode() in raw
    # Reading back through the ORM decrypts.
    again = Resident.objects.get(pk=r.pk)
    assert again.id_number == id_number and again.phone == "13987654321"
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM registry_resident WHERE id = %s", [r.pk])
        (stored,) = cur.fetchone()
    assert stored != id_number and pii.decrypt(stored) == id_number
