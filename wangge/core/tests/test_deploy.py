"""Production settings come from the environment: `wangge check --deploy` is clean with WANGGE_HTTPS=1."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path


def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WANGGE_")
        and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base.update({"WANGGE_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "wangge.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_check_deploy_is_clean_with_https_and_a_secret_key(tmp_path: Path) -> None:
    res = _check_deploy(tmp_path, WANGGE_HTTPS="1", WANGGE_SECRET_KEY=secrets.token_urlsafe(50))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "System check identified no issues" in res.stdout
    assert "WARNING" not in res.stderr and "ERROR" not in res.stderr


def test_check_deploy_warns_without_https(tmp_path: Path) -> None:
    res = _check_deploy(tmp_path, WANGGE_SECRET_KEY=secrets.token_urlsafe(50))
    assert res.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in res.stderr, res.stderr


def test_https_settings(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER)"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")},
        "WANGGE_DATA_DIR": str(tmp_path),
        "WANGGE_HTTPS": "1",
        "DJANGO_SETTINGS_MODULE": "wangge.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert out[:4] == ["True", "True", "True", str(365 * 24 * 3600)]
    assert "HTTP_X_FORWARDED_PROTO" in " ".join(out[4:])
