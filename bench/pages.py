"""``wangge bench pages [rounds=5] [ceiling=300] [export_ceiling=3000] [only=substring]``: the registry and
area pages and list endpoints, timed in-process (Django's test client: middleware, view, queries, template,
JSON), as the district, street, community and a grid worker of the loaded demo (``wangge demo --size
district`` on PostgreSQL; any loaded demo works). Prints the median of ``rounds`` runs per request after one
warm-up, and compares each with the ceiling in the same run (export: ``export_ceiling``).

Deep pages are included: the residents' and households' last pages (``?last=1``, keyset), the API at the
last offset of the scope (``offset=count-1``), a name search, tag filters and one community's export.
Reads ``DATABASE_URL`` (the database is only read, except the audit rows of the export).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from django.conf import settings
from django.test import Client


def _args(argv: list[str]) -> dict[str, str]:
    return dict(a.split("=", 1) for a in argv if "=" in a)


def _load() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:  # pragma: no cover
        return "?"


def _time(client: Client, url: str, rounds: int) -> tuple[float, int, int]:
    resp = client.get(url)  # warm-up (per-process caches, session)
    status, size = resp.status_code, len(resp.content)
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        resp = client.get(url)
        b"".join(resp) if getattr(resp, "streaming", False) else resp.content
        samples.append((time.perf_counter() - t0) * 1000)
        status = resp.status_code
    return statistics.median(samples), status, size


def main(argv: list[str]) -> None:
    from wangge.accounts.models import User
    from wangge.core.scoping import scope_for
    from wangge.registry.models import Resident

    args = _args(argv)
    rounds = int(args.get("rounds", 5))
    ceiling = float(args.get("ceiling", 300))
    export_ceiling = float(args.get("export_ceiling", 3000))
    only = args.get("only", "")
    settings.ALLOWED_HOSTS = ["*"]
    db = settings.DATABASES["default"]
    print(f"wangge bench pages: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}, rounds={rounds}")
    print(f"residents: {Resident.objects.count():,}; load average before: {_load()}; CPUs: {os.cpu_count()}")

    users = {n: User.objects.get(username=n) for n in ("district", "street", "community", "gridworker001")}
    sample = Resident.objects.order_by("id").values_list("name", flat=True)
    three = next((n for n in sample[:500] if len(n) == 3), "王建国")
    failures: list[str] = []
    rows: list[tuple[str, str, float, int, int, float]] = []
    for who, user in users.items():
        code = scope_for(user).codes[0]
        client = Client()
        client.force_login(user)
        api = _api_client(user)
        in_scope = Resident.objects.filter(area_code__startswith=code)
        name = in_scope.order_by("-id").values_list("name", flat=True).first() or three
        n = in_scope.count()
        community = code[:12]
        cases: list[tuple[str, Any, str, float]] = [
            ("residents p1", client, "/registry/residents/", ceiling),
            ("residents last", client, "/registry/residents/?last=1", ceiling),
            ("residents name", client, f"/registry/residents/?q={name}", ceiling),
            ("residents tag disabled", client, "/registry/residents/?tag=disabled", ceiling),
            ("residents tag serious_illness", client, "/registry/residents/?tag=serious_illness", ceiling),
            ("residents tag empty_nest", client, "/registry/residents/?tag=empty_nest", ceiling),
            ("households p1", client, "/registry/households/", ceiling),
            ("households last", client, "/registry/households/?last=1", ceiling),
            ("households name", client, f"/registry/households/?q={name}", ceiling),
            ("households tag elderly_alone", client, "/registry/households/?tag=elderly_alone", ceiling),
            ("households party centre", client, "/registry/households/?party_center=1", ceiling),
            ("buildings p1", client, "/registry/buildings/", ceiling),
            ("area tree", client, "/areas/", ceiling),
            ("api residents", api, "/api/v1/residents", ceiling),
            ("api residents deep offset", api, f"/api/v1/residents?offset={max(0, n - 1)}", ceiling),
            ("api residents tag", api, "/api/v1/residents?tag=disabled", ceiling),
            ("api residents name", api, f"/api/v1/residents?q={name}", ceiling),
            ("api households", api, "/api/v1/households", ceiling),
            ("api households deep offset", api, f"/api/v1/households?offset={max(0, n // 3)}", ceiling),
            ("api buildings", api, "/api/v1/buildings", ceiling),
            ("api houses", api, "/api/v1/houses", ceiling),
        ]
        if who == "community":
            cases.append(
                ("export community", client, f"/registry/residents/export/?area={community}", export_ceiling)
            )
        for label, c, url, limit in cases:
            if only and only not in label:
                continue
            med, status, size = _time(c, url, rounds)
            ok = status == 200 and med <= limit
            rows.append((who, label, med, status, size, limit))
            mark = "ok" if ok else "OVER" if status == 200 else f"HTTP {status}"
            print(f"{who:14} {label:32} {med:9.1f} ms  (ceiling {limit:.0f})  {mark}", flush=True)
            if not ok:
                failures.append(f"{who} {label}")
    print(f"load average after: {_load()}")
    print("all under the ceiling" if not failures else "over the ceiling: " + ", ".join(failures))


def _api_client(user: Any) -> Client:
    from wangge.testing import api_client

    return api_client(user)
