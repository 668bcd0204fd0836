"""``wangge backup DIR`` / ``wangge restore DIR``: a consistent copy of the database with the media files and
a manifest (row counts per table, checksums), never the keys.

* SQLite: the online backup API copies the whole database in one step inside a read transaction, so the copy
  is one moment of the database while writers go on (WAL).
* PostgreSQL: one REPEATABLE READ transaction exports its snapshot; the row counts are taken in it and
  ``pg_dump --snapshot`` dumps exactly that snapshot (custom format). Connect directly, not through
  PgBouncer in transaction mode: the snapshot lives in a session.
* Media: the files under ``MEDIA_ROOT`` (when uploads are on S3-compatible storage, back up the bucket
  with its own tools: the manifest says so).
* Keys: ``WANGGE_SECRET_KEY`` and the personal-data keys are never written here; keep them apart
  (docs/deploy.md). A restored database needs the key(s) it was encrypted with.

``restore`` checks every checksum before it touches anything, replaces the database, copies the media back
and checks the row counts against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
MEDIA_DIR = "media"
FORMAT = 1


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if not t.startswith("sqlite_"))


def _pg_env_args() -> tuple[dict[str, str], list[str]]:
    s = connection.settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = ["--host", str(s.get("HOST") or "127.0.0.1"), "--port", str(s.get("PORT") or 5432)]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    return env, args


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _media_root() -> Path | None:
    backend = settings.STORAGES.get("default", {}).get("BACKEND", "") if hasattr(settings, "STORAGES") else ""
    if backend and "FileSystemStorage" not in backend:
        return None
    return Path(settings.MEDIA_ROOT)


def _copy_media(src: Path, dst: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    if not src.exists():
        return files
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = path.relative_to(src).as_posix()
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files[rel] = {"bytes": target.stat().st_size, "sha256": _sha256(target)}
    return files


def _backup_sqlite(out: Path) -> dict[str, int]:
    source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
    target = sqlite3.connect(str(out / SQLITE_FILE))
    try:
        source.backup(target)  # pages=-1: everything in one step, one consistent moment
    finally:
        source.close()
    try:
        names = [
            r[0]
            for r in target.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: target.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}  # noqa: S608
    finally:
        target.close()


def _backup_postgres(out: Path) -> dict[str, int]:
    import psycopg

    s = connection.settings_dict
    env, args = _pg_env_args()
    conn = psycopg.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        dbname=s["NAME"],
        autocommit=True,
    )
    try:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]  # noqa: S608
        run = subprocess.run(
            [
                _tool("pg_dump"),
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "--file",
                str(out / PG_FILE),
                str(s["NAME"]),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return counts


def _applied_migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in (
        MigrationRecorder(connection).migration_qs.order_by("app", "name").values_list("app", "name")
    ):
        latest[app] = name
    return latest


def backup(directory: str | Path) -> dict[str, Any]:
    """Write a backup into ``directory`` (new or empty). Returns the manifest."""
    out = Path(directory)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    vendor = connection.vendor
    if vendor == "sqlite":
        counts, db_file = _backup_sqlite(out), SQLITE_FILE
    elif vendor == "postgresql":
        counts, db_file = _backup_postgres(out), PG_FILE
    else:
        raise BackupError(f"backups of {vendor} are not supported")
    media_root = _media_root()
    media = _copy_media(media_root, out / MEDIA_DIR) if media_root else {}
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "engine": vendor,
        "database": {
            "file": db_file,
            "sha256": _sha256(out / db_file),
            "bytes": (out / db_file).stat().st_size,
        },
        "migrations": _applied_migrations(),
        "tables": counts,
        "media": media,
        "media_note": "" if media_root else "uploads are on object storage: back up the bucket separately",
        "keys": "not included: restore needs the WANGGE_SECRET_KEY and WANGGE_PII_KEY(S) kept apart",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def verify(directory: str | Path) -> dict[str, Any]:
    """The manifest, after checking every checksum in it."""
    src = Path(directory)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable {MANIFEST} in {src}") from exc
    db = manifest["database"]
    if _sha256(src / db["file"]) != db["sha256"]:
        raise BackupError(f"{db['file']} does not match its checksum")
    for rel, meta in manifest["media"].items():
        path = src / MEDIA_DIR / rel
        if not path.is_file() or _sha256(path) != meta["sha256"]:
            raise BackupError(f"media file {rel} is missing or does not match its checksum")
    return manifest


def _restore_sqlite(src: Path) -> None:
    for conn in connections.all(initialized_only=True):
        conn.close()
    source = sqlite3.connect(str(src / SQLITE_FILE))
    target = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
    try:
        source.backup(target)  # replaces every page of the live database, WAL included
    finally:
        source.close()
        target.close()


def _restore_postgres(src: Path) -> None:
    s = connection.settings_dict
    env, args = _pg_env_args()
    connection.close()
    run = subprocess.run(
        [
            _tool("pg_restore"),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(s["NAME"]),
            str(src / PG_FILE),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed: {run.stderr.strip()}")


def restore(directory: str | Path) -> dict[str, Any]:
    """Replace the database (and add back the media files) from a backup. Returns the manifest."""
    src = Path(directory)
    manifest = verify(src)
    if manifest["engine"] != connection.vendor:
        raise BackupError(
            f"this is a {manifest['engine']} backup; the configured database is {connection.vendor}"
        )
    if manifest["engine"] == "sqlite":
        _restore_sqlite(src)
    else:
        _restore_postgres(src)
    media_root = _media_root()
    if media_root is not None and manifest["media"]:
        _copy_media(src / MEDIA_DIR, media_root)
    with connection.cursor() as cur:
        for table, expected in manifest["tables"].items():
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            found = cur.fetchone()[0]
            if found != expected:
                raise BackupError(f"{table}: {found} rows after the restore, the manifest says {expected}")
    return manifest
