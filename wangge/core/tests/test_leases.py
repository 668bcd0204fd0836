"""Leases: every periodic step runs once per period, however many schedulers run at once."""

from __future__ import annotations

import datetime as dt
import subprocess
import textwrap
import threading
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from wangge.core import leases, periodic
from wangge.core.models import AuditLog, Lease

from ._support import PYTHON, REPO, child_env

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
PERIODS = 8


def probe(now: dt.datetime) -> dict[str, str]:
    """A periodic step that leaves one audit row per run, and is slow enough for schedulers to overlap."""
    time.sleep(0.05)
    AuditLog.objects.create(action="other", object_type="probe", object_id=leases.period_key(now, 60))
    return {"at": now.isoformat()}


def broken(now: dt.datetime) -> None:
    raise RuntimeError("step down")


PROBE_STEPS = [("probe", "wangge.core.tests.test_leases:probe")]


def _runs_per_period() -> dict[str, int]:
    out: dict[str, int] = {}
    for object_id in AuditLog.objects.filter(object_type="probe").values_list("object_id", flat=True):
        out[object_id] = out.get(object_id, 0) + 1
    return out


def _expected() -> dict[str, int]:
    return {leases.period_key(T0 + dt.timedelta(minutes=k), 60): 1 for k in range(PERIODS)}


def test_period_key_is_the_start_of_the_period_in_utc() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert (
        leases.period_key(dt.datetime(2026, 3, 2, 16, 0, 59, tzinfo=shanghai), 60) == "2026-03-02T08:00:00Z"
    )
    assert leases.period_key(dt.datetime(2026, 3, 2, 8, 1, 0, tzinfo=dt.UTC), 60) == "2026-03-02T08:01:00Z"
    assert leases.period_key(dt.datetime(2026, 3, 2, 8, 59, 0, tzinfo=dt.UTC), 3600) == "2026-03-02T08:00:00Z"


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_in_threads_run_each_period_once(monkeypatch: Any) -> None:
    monkeypatch.setattr(periodic, "STEPS", PROBE_STEPS)
    barrier = threading.Barrier(2)
    ran: list[tuple[str, int]] = []
    skipped: list[tuple[str, int]] = []
    errors: list[BaseException] = []

    def scheduler(name: str) -> None:
        try:
            holder = leases.make_holder(name)
            for k in range(PERIODS):
                barrier.wait(timeout=30)  # both ask for the same period at the same moment
                out = periodic.run_all(T0 + dt.timedelta(minutes=k, seconds=k % 50), holder=holder)
                (ran if "probe" in out else skipped).append((name, k))
        except BaseException as exc:  # surfaced below: an exception in a thread must fail the test
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler, args=(f"s{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert _runs_per_period() == _expected()
    # Both schedulers asked for every period: one ran it, the other stood aside.
    assert sorted(k for _, k in ran) == list(range(PERIODS))
    assert sorted(k for _, k in skipped) == list(range(PERIODS))
    rows = list(Lease.objects.filter(job="probe").order_by("period"))
    assert [r.state for r in rows] == [Lease.State.DONE] * PERIODS
    fencing = [r.fencing for r in rows]
    assert fencing == sorted(fencing) and len(set(fencing)) == PERIODS


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_run_each_period_once() -> None:
    start_at = time.time() + 4  # both processes start the first period together, after Django has loaded
    script = textwrap.dedent(
        f"""
        import datetime as dt, sys, time
        import django
        django.setup()
        from wangge.core import leases, periodic
        periodic.STEPS = {PROBE_STEPS!r}
        T0 = dt.datetime.fromisoformat({T0.isoformat()!r})
        holder = leases.make_holder(sys.argv[1])
        time.sleep(max(0.0, {start_at} - time.time()))
        ran = 0
        for k in range({PERIODS}):
            ran += "probe" in periodic.run_all(T0 + dt.timedelta(minutes=k), holder=holder)
            time.sleep(max(0.0, {start_at} + 0.3 * (k + 1) - time.time()))
        print(ran)
        """
    )
    procs = [
        subprocess.Popen(
            [PYTHON, "-c", script, f"p{i}"], cwd=REPO, env=child_env(), stdout=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sum(int(o.strip()) for o in outs) == PERIODS
    assert _runs_per_period() == _expected()
    assert Lease.objects.filter(job="probe", state=Lease.State.DONE).count() == PERIODS
    assert len({h.split("@")[0] for h in Lease.objects.values_list("holder", flat=True)}) >= 1


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over_and_the_old_holder_is_fenced_out() -> None:
    now = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    first = leases.claim("job", "p1", holder="a", ttl=dt.timedelta(minutes=5), now=now)
    assert first is not None and first.fencing == 1
    assert leases.claim("job", "p1", holder="b", now=now + dt.timedelta(minutes=4)) is None
    assert leases.still_holds(first, now=now + dt.timedelta(minutes=4))
    # "a" hangs past its expiry: "b" takes the period over with a larger fencing number.
    second = leases.claim("job", "p1", holder="b", now=now + dt.timedelta(minutes=6))
    assert second is not None and second.fencing > first.fencing and second.lease_id == first.lease_id
    assert not leases.still_holds(first, now=now + dt.timedelta(minutes=6))
    assert not leases.renew(first) and not leases.finish(first, ok=True)
    assert leases.finish(second, ok=True, result={"n": 1})
    # A finished period is never taken again, expired or not.
    assert leases.claim("job", "p1", holder="c", now=now + dt.timedelta(days=1)) is None
    row = Lease.objects.get(job="job", period="p1")
    assert (row.holder, row.state, row.result) == ("b", Lease.State.DONE, {"n": 1})
    # The fencing number keeps growing across periods of the job, and other jobs count on their own.
    third = leases.claim("job", "p2", holder="a", now=now)
    assert third is not None and third.fencing > second.fencing
    other = leases.claim("other", "p1", holder="a", now=now)
    assert other is not None and other.fencing == 1


@pytest.mark.django_db
def test_a_failed_step_is_recorded_and_runs_again_next_period_only(monkeypatch: Any) -> None:
    monkeypatch.setattr(periodic, "STEPS", [("broken", "wangge.core.tests.test_leases:broken"), *PROBE_STEPS])
    out = periodic.run_all(T0)
    assert out["broken"] == "error" and out["probe"] == {"at": T0.isoformat()}  # one failing, others go on
    lease = Lease.objects.get(job="broken")
    assert lease.state == Lease.State.FAILED and "step down" in lease.result["error"]
    assert periodic.run_all(T0 + dt.timedelta(seconds=30)) == {}  # same period: neither runs again
    assert set(periodic.run_all(T0 + dt.timedelta(minutes=1))) == {"broken", "probe"}


@pytest.mark.django_db
def test_tick_command_skips_a_period_already_run_unless_forced(monkeypatch: Any) -> None:
    monkeypatch.setattr(periodic, "STEPS", PROBE_STEPS)
    call_command("tick", verbosity=0)
    call_command("tick", verbosity=0)
    # Two runs in one minute run the step once (barring the rare minute boundary between the two calls).
    assert AuditLog.objects.filter(object_type="probe").count() in (1, 2)
    assert Lease.objects.filter(job="probe").count() == AuditLog.objects.filter(object_type="probe").count()
    before = AuditLog.objects.filter(object_type="probe").count()
    call_command("tick", "--force", verbosity=0)
    assert AuditLog.objects.filter(object_type="probe").count() == before + 1
