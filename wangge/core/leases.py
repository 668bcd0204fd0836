"""Leases: a periodic run happens once per (job, period), however many schedulers run.

Two beats, two ``wangge tick --loop`` on two servers, or a Celery task delivered twice all end up here.
Each asks for the lease of ``(job, period)``; the database's unique constraint on that pair decides. There
is no advisory lock and no state on the connection: every claim is one short transaction, so it works
behind PgBouncer in transaction mode (a session lock taken on one pooled backend and released on another
is the classic failure, see docs/scale.md).

* ``claim`` inserts the row (first wins) or takes over a *running* lease whose holder let it expire (the
  conditional ``UPDATE … WHERE expires_at < now`` lets exactly one taker win). Either way the claim gets a
  new **fencing number**, strictly larger than any earlier one for that job.
* ``finish`` and ``still_holds`` check the fencing number: a holder that was presumed dead and replaced
  cannot mark the period done, and a long job can check before it commits.
* A failed run stays failed for its period: the next period runs again (steps are idempotent catch-ups).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Lease, LeaseFence

DEFAULT_TTL = dt.timedelta(minutes=10)
KEEP = dt.timedelta(days=7)


@dataclass(frozen=True)
class Claim:
    job: str
    period: str
    holder: str
    fencing: int
    lease_id: int


def make_holder(name: str = "") -> str:
    """A name for one scheduler: host, process, a random part (and an optional label for humans)."""
    base = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}:{uuid.uuid4().hex[:6]}"
    return f"{name}@{base}"[:200] if name else base[:200]


def period_key(now: dt.datetime, every_seconds: int) -> str:
    """The period ``now`` falls in, for a job run every ``every_seconds``: the period's start in UTC."""
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % max(1, int(every_seconds)), tz=dt.UTC)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def _next_fencing(job: str) -> int:
    """Increment the job's counter and return it. Must run inside a transaction: the row stays locked
    until commit, so concurrent claimers of one job queue here and numbers follow the grant order."""
    if not LeaseFence.objects.filter(job=job).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                LeaseFence.objects.create(job=job, last=1)
                return 1
        except IntegrityError:  # created by a concurrent claimer just now
            LeaseFence.objects.filter(job=job).update(last=F("last") + 1)
    return LeaseFence.objects.filter(job=job).values_list("last", flat=True).get()


def claim(
    job: str,
    period: str,
    *,
    holder: str,
    ttl: dt.timedelta = DEFAULT_TTL,
    now: dt.datetime | None = None,
) -> Claim | None:
    """The lease of ``(job, period)`` for ``holder``, or ``None`` when someone else has (or had) it."""
    now = now or timezone.now()
    # Cheap path: most callers arrive after the winner; no write, no lock.
    existing = Lease.objects.filter(job=job, period=period).values_list("state", "expires_at").first()
    if existing is not None and not (existing[0] == Lease.State.RUNNING and existing[1] < now):
        return None
    with transaction.atomic():
        fencing = _next_fencing(job)
        try:
            with transaction.atomic():
                lease = Lease.objects.create(
                    job=job,
                    period=period,
                    holder=holder,
                    fencing=fencing,
                    acquired_at=now,
                    expires_at=now + ttl,
                )
            return Claim(job, period, holder, fencing, lease.pk)
        except IntegrityError:
            pass
        # Taken. Only a running lease past its expiry may change hands, and only one taker wins the UPDATE.
        taken = Lease.objects.filter(
            job=job, period=period, state=Lease.State.RUNNING, expires_at__lt=now
        ).update(holder=holder, fencing=fencing, acquired_at=now, expires_at=now + ttl)
        if not taken:
            return None
        pk = Lease.objects.filter(job=job, period=period).values_list("pk", flat=True).get()
        return Claim(job, period, holder, fencing, pk)


def still_holds(c: Claim, now: dt.datetime | None = None) -> bool:
    """True while nobody took the lease over (and it has not expired): check before committing late work."""
    now = now or timezone.now()
    return Lease.objects.filter(
        pk=c.lease_id, fencing=c.fencing, state=Lease.State.RUNNING, expires_at__gt=now
    ).exists()


def renew(c: Claim, ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None) -> bool:
    """Extend a long-running lease; False when it was taken over (stop working then)."""
    now = now or timezone.now()
    return bool(
        Lease.objects.filter(pk=c.lease_id, fencing=c.fencing, state=Lease.State.RUNNING).update(
            expires_at=now + ttl
        )
    )


def finish(c: Claim, *, ok: bool, result: Any = None, now: dt.datetime | None = None) -> bool:
    """Mark the period done (or failed). False when the lease was taken over: this holder was fenced out."""
    return bool(
        Lease.objects.filter(pk=c.lease_id, fencing=c.fencing, state=Lease.State.RUNNING).update(
            state=Lease.State.DONE if ok else Lease.State.FAILED,
            finished_at=now or timezone.now(),
            result=result,
        )
    )


def prune(now: dt.datetime) -> dict[str, int] | None:
    """The periodic step that forgets leases older than a week (the fence counters stay). Lease times are
    wall-clock times, so this ignores the (possibly simulated) ``now`` of the run."""
    deleted, _ = (
        Lease.objects.filter(acquired_at__lt=timezone.now() - KEEP)
        .exclude(state=Lease.State.RUNNING)
        .delete()
    )
    return {"deleted": deleted} if deleted else None
