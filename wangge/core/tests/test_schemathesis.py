"""Schemathesis over every operation of /api/v1/openapi.json, as five roles, on whatever database the run uses.

Checks: no server error; each response's status code is documented for its operation (so the 4xx each
operation really answers are declared: wangge/api.py adds the shared ones to every operation); the content
type and the body conform to the declared schema. Data is the small demo district, built once for the module
inside a transaction that is rolled back at the end; each operation × role test then runs in its own savepoint,
so every test starts from the same district. Path parameters are drawn from the ids that exist (mixed with
the generated ones), so the fuzzer reaches the objects and not only 404s.

The run is bounded for CI: a fixed seed, ``WANGGE_FUZZ_EXAMPLES`` generated cases per operation (default
below; each is sent as every role), no shrinking. The figures (operations, requests, server errors) are printed at the end of the session
and written to ``$WANGGE_DATA_DIR/fuzz-<vendor>.json``; docs/api.md "Fuzzing" records them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.fuzz]

ROLES = {
    "admin": "admin",
    "community": "community",
    "gridworker": "gridworker001",
    "resident": "resident",
    "volunteer": "volunteer001",
}
EXAMPLES = int(os.environ.get("WANGGE_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("WANGGE_FUZZ_SEED", "20261129"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


class CountingApp:
    """The Django WSGI application, counting requests and server errors per role. Django's own test client
    keeps the test's database connection open across requests the same way: without it the end of each
    request would close the connection inside the test transaction."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.requests: Counter[str] = Counter()
        self.server_errors: Counter[str] = Counter()
        self.failures: list[str] = []
        self.role = "anonymous"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.requests[self.role] += 1

        def counting_start_response(status: str, headers: Any, *args: Any) -> Any:
            if status.startswith("5"):
                self.server_errors[self.role] += 1
                self.failures.append(
                    f"{self.role} {environ['REQUEST_METHOD']} {environ['PATH_INFO']} {status}"
                )
            return start_response(status, headers, *args)

        return self.app(environ, counting_start_response)


APP = CountingApp()


def _load_schema() -> Any:
    from wangge.api import api

    raw = api.get_openapi_schema()
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = APP
    return loaded


schema = _load_schema()

# Path parameter → the model whose ids it takes (by path, since `pk` means a different model per resource).
_ID_SOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("/buildings/", "pk"): ("registry.Building", "pk"),
    ("/houses/", "pk"): ("registry.House", "pk"),
    ("/households/", "pk"): ("registry.Household", "pk"),
    ("/residents/", "pk"): ("registry.Resident", "pk"),
    ("", "resident_id"): ("registry.Resident", "pk"),
    ("", "appeal_id"): ("appeals.Appeal", "pk"),
    ("", "attachment_id"): ("appeals.Attachment", "pk"),
    ("", "notification_id"): ("notifications.Notification", "pk"),
    ("", "activity_id"): ("volunteers.Activity", "pk"),
    ("", "signup_id"): ("volunteers.Signup", "pk"),
    ("", "post_id"): ("volunteers.ServicePost", "pk"),
    ("", "project_id"): ("volunteers.MicroProject", "pk"),
    ("", "booking_id"): ("volunteers.Booking", "pk"),
    ("", "reward_id"): ("points.Reward", "pk"),
    ("", "redemption_id"): ("points.Redemption", "pk"),
    ("", "wish_id"): ("wishes.Wish", "pk"),
    ("", "pairing_id"): ("pairing.Pairing", "pk"),
    ("", "assignment_id"): ("attendance.CadreAssignment", "pk"),
    ("", "code"): ("areas.Area", "code"),
}
REAL_VALUES: dict[str, list[Any]] = {}


def _real_values() -> dict[str, list[Any]]:
    """A few existing values of each model used in paths, some in every role's scope and some outside."""
    from django.apps import apps

    out: dict[str, list[Any]] = {}
    for label, field in set(_ID_SOURCES.values()):
        model = apps.get_model(label)
        values = list(model.objects.order_by(field).values_list(field, flat=True)[:40])
        out[label] = values[:: max(1, len(values) // 10)]
    return out


def _source(path: str, name: str) -> str | None:
    for (fragment, param), (label, _field) in _ID_SOURCES.items():
        if param == name and fragment in path:
            return label
    return None


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the generated path parameters are replaced by ids that exist, so the fuzzer reaches real
    objects (in and out of the role's scope) and not only 404s."""
    if not path_parameters or context.operation is None:
        return st.just(path_parameters)
    strategies: dict[str, Any] = {}
    for name, value in path_parameters.items():
        label = _source(context.operation.path, name)
        real = REAL_VALUES.get(label or "", [])
        strategies[name] = st.sampled_from([value, *real]) if real else st.just(value)
    return st.fixed_dictionaries(strategies)


def build_world() -> None:
    """The small demo district, made smaller for speed: fewer households per grid and fewer, shorter-lived
    cases (the appeals hook simulates months of ticks). Everything else is the demo as ``make run`` builds it,
    through the same hooks, so every kind of object exists."""
    import importlib

    from wangge.demo import build
    from wangge.demo.context import DEMO_HOOK_APPS

    with mock.patch.dict(build.HOUSEHOLDS_PER_GRID, {"small": (8, 2)}):
        built = build.build_demo(size="small", stdout=io.StringIO(), run_hooks=False)
    for app in DEMO_HOOK_APPS:
        module = importlib.import_module(f"wangge.{app}.demo")
        knobs = {k: v for k, v in {"SMALL_CASES": 40, "SMALL_DAYS": 12}.items() if hasattr(module, k)}
        with (
            mock.patch.multiple(module, **knobs) if knobs else contextlib.nullcontext(),
            transaction.atomic(),
        ):
            module.populate_demo(built.context)


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The demo district (see ``build_world``), built once in a transaction rolled back when the module
    ends, and a token per role."""
    from wangge.accounts.models import User
    from wangge.accounts.services import token_create

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        started = time.monotonic()
        try:
            build_world()
            REAL_VALUES.update(_real_values())
            tokens = {
                role: token_create(user=User.objects.get(username=name)) for role, name in ROLES.items()
            }
            _SUMMARY["setup_seconds"] = round(time.monotonic() - started, 1)
            _SUMMARY["started"] = time.monotonic()
            yield tokens
        finally:
            _SUMMARY["fuzz_seconds"] = round(time.monotonic() - _SUMMARY.get("started", started), 1)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            _write_summary()


_SUMMARY: dict[str, Any] = {}
_OPERATIONS: set[str] = set()


def _write_summary() -> None:
    summary = {
        "database": connection.vendor,
        "operations": len(_OPERATIONS),
        "roles": list(ROLES),
        "examples_per_operation": EXAMPLES,
        "seed": SEED,
        "requests": sum(APP.requests.values()),
        "requests_by_role": dict(APP.requests),
        "server_errors": sum(APP.server_errors.values()),
        "server_errors_by_role": dict(APP.server_errors),
        "failures": APP.failures[:50],
        "setup_seconds": _SUMMARY.get("setup_seconds"),
        "fuzz_seconds": _SUMMARY.get("fuzz_seconds"),
    }
    _SUMMARY["report"] = summary
    path = Path(settings.DATA_DIR) / f"fuzz-{connection.vendor}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2))


def pytest_terminal_summary_line() -> str | None:
    report = _SUMMARY.get("report")
    if not report:
        return None
    return (
        f"schemathesis ({report['database']}): {report['operations']} operations × {len(report['roles'])} roles, "
        f"{report['requests']} requests, {report['server_errors']} server errors, "
        f"{report['fuzz_seconds']} s fuzzing + {report['setup_seconds']} s set-up"
    )


@schema.parametrize()
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_api_operation(case: Any, fuzz_world: dict[str, str], db: Any) -> None:
    """Each generated request is sent once as each of the five roles (generation costs as much as a request,
    so this covers the role matrix at a fifth of the cost of a test per role)."""
    _OPERATIONS.add(f"{case.method} {case.path}")
    for role, token in fuzz_world.items():
        APP.role = role
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
        except BaseException as exc:
            exc.add_note(f"(as {role}: {ROLES[role]})")
            raise
