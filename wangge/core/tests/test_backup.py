"""Backup under write load → wipe → restore: every record acknowledged before the backup started is back,
with the media files; the backup carries a manifest and never the keys."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal, AppealEvent
from wangge.appeals.services import appeal_submit
from wangge.core.models import AuditLog
from wangge.testing import Tree, make_user


def _wipe() -> None:
    """Lose the database entirely (SQLite: the files; PostgreSQL: every table)."""
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        for conn in connections.all(initialized_only=True):
            conn.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(name + suffix):
                os.remove(name + suffix)
    else:
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    with connection.cursor() as cur:
        assert "core_auditlog" not in connection.introspection.table_names(cur)


@pytest.mark.django_db(transaction=True)
def test_backup_under_write_load_then_wipe_and_restore_loses_no_acknowledged_record(
    tree: Tree, settings: Any, tmp_path: Path
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    photos = {"appeals/2026/03/a.jpg": b"\xff\xd8photo-a", "avatars/b.png": b"\x89PNGb"}
    for rel, data in photos.items():
        (tmp_path / "media" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "media" / rel).write_bytes(data)
    resident = make_user(Role.RESIDENT, phone="13811112222")
    lat, lng = Tree.point_in(tree.grid_a)
    cases: list[int] = []
    audits: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            n = 0
            while not stop.is_set():
                n += 1
                appeal, _ = appeal_submit(
                    by=resident,
                    category="SQ0101",
                    description=f"楼道灯不亮 #{n}",
                    channel="resident_web",
                    lat=lat,
                    lng=lng,
                    reporter_name="王小明",
                    reporter_phone="13811112222",
                )
                cases.append(appeal.pk)  # the service returned: the case is committed (acknowledged)
                audits.append(
                    AuditLog.objects.create(action="other", object_type="load", object_id=str(n)).pk
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(audits) < 5 and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        acked_cases, acked_audits = list(cases), list(audits)  # committed before the backup started
        call_command("backup", str(tmp_path / "backup"), verbosity=0)
        during = len(audits)
        deadline = time.monotonic() + 30
        while len(audits) < during + 3 and time.monotonic() < deadline and not errors:
            time.sleep(0.05)  # the writer goes on after the backup: those rows are not in it
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert len(acked_cases) >= 5 and len(cases) > len(acked_cases)

    backup_dir = tmp_path / "backup"
    names = sorted(p.name for p in backup_dir.rglob("*") if p.is_file())
    assert "manifest.json" in names and not {"pii_key", "secret_key"} & set(names)
    for path in backup_dir.rglob("*"):
        if path.is_file():  # the keys are nowhere in it, not even inside the database file
            data = path.read_bytes()
            assert (
                django_settings.PII_KEY.encode() not in data
                and django_settings.SECRET_KEY.encode() not in data
            )

    _wipe()
    for rel in photos:
        (tmp_path / "media" / rel).unlink()
    call_command("restore", str(backup_dir), "--yes", verbosity=0)

    restored_cases = set(Appeal.objects.values_list("pk", flat=True))
    assert set(acked_cases) <= restored_cases
    assert set(acked_audits) <= set(AuditLog.objects.values_list("pk", flat=True))
    # One moment of the database: every restored case has its submission event, and its personal data reads.
    assert AppealEvent.objects.filter(appeal_id__in=restored_cases, kind="submitted").count() == len(
        restored_cases
    )
    assert {a.reporter_phone for a in Appeal.objects.all()} == {"13811112222"}
    for rel, data in photos.items():
        assert (tmp_path / "media" / rel).read_bytes() == data


@pytest.mark.django_db
def test_backup_refuses_a_used_directory_and_restore_refuses_a_tampered_backup(
    settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "used"), verbosity=0)
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(tmp_path / "used"), "--yes", verbosity=0)
    if connection.vendor == "sqlite":
        # An SQLite backup inside a test transaction is possible (a separate connection reads the file).
        call_command("backup", str(tmp_path / "ok"), verbosity=0)
        call_command("restore", str(tmp_path / "ok"), "--verify-only", verbosity=0)
        db = next((tmp_path / "ok").glob("database.*"))
        db.write_bytes(db.read_bytes() + b"tampered")
        with pytest.raises(CommandError, match="checksum"):
            call_command("restore", str(tmp_path / "ok"), "--yes", verbosity=0)
