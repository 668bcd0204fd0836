"""``wangge rotate_pii_key [--batch N] [--resume JOB_ID] [--check]``: re-encrypt every personal-data field
and rebuild the blind indexes under the current key (see ``wangge.core.rotation``).

Set ``WANGGE_PII_KEYS=new,old`` first; run this; when ``--check`` reports nothing stale, drop ``old``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangge.core import jobs, pii, rotation
from wangge.core.models import Job


class Command(BaseCommand):
    help = "Re-encrypt personal data under the current WANGGE_PII_KEYS key, in resumable batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=rotation.DEFAULT_BATCH)
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="continue a failed or stopped run")
        parser.add_argument(
            "--check", action="store_true", help="only count values not yet under the new key"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            stale = rotation.check()
            self.stdout.write(
                json.dumps({"keys": len(pii.master_keys()), "stale": stale}, ensure_ascii=False)
            )
            if stale:
                raise CommandError("some values are not yet under the current key: run rotate_pii_key")
            return
        if options["resume"]:
            job = Job.objects.filter(pk=options["resume"], kind="rotate_pii_key").first()
            if job is None:
                raise CommandError(f"no key-rotation job #{options['resume']}")
            # A run that died leaves "running": take it back (the cursor says where it got to).
            Job.objects.filter(pk=job.pk).exclude(state=Job.State.DONE).update(state=Job.State.QUEUED)
        else:
            job = Job.objects.create(kind="rotate_pii_key", params={"batch": options["batch"]})
        self.stdout.write(f"key rotation job #{job.pk} ({len(pii.master_keys())} keys configured)")
        jobs.execute(job.pk)
        job.refresh_from_db()
        self.stdout.write(
            json.dumps(
                {"job": job.pk, "state": job.state, "done": job.done, "result": job.result},
                ensure_ascii=False,
            )
        )
        if job.state != Job.State.DONE:
            raise CommandError(
                f"stopped: {job.error.splitlines()[0] if job.error else job.state}; "
                f"resume with --resume {job.pk}"
            )
