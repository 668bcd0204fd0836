"""Rotating the personal-data key: a new key encrypts, old keys still decrypt, a resumable job re-encrypts
everything and rebuilds the blind indexes; after the old key is dropped every ID number still reads and every
look-up by ID (and by phone, and by tag) still finds its resident."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from wangge.accounts.backends import find_login_user
from wangge.accounts.roles import Role
from wangge.core import pii, rotation
from wangge.core.models import Job
from wangge.registry import selectors, services
from wangge.registry.models import Resident, Tag
from wangge.registry.tests.factories import admin_user, make_resident
from wangge.testing import Tree, make_id_number, make_user

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = "old-master-key", "new-master-key", "a-key-nobody-configured"


@pytest.fixture
def old_key(settings: Any) -> Any:
    settings.PII_KEY, settings.PII_PREVIOUS_KEYS = OLD, []
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def _raw(resident: Resident) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT id_number FROM {Resident._meta.db_table} WHERE id = %s", [resident.pk])
        return cur.fetchone()[0]


def _found(admin: Any, **filters: Any) -> list[int]:
    return list(selectors.resident_list(viewer=admin, **filters).values_list("pk", flat=True))


def test_rotate_then_drop_the_old_key_every_id_reads_and_is_found(tree: Tree, old_key: Any) -> None:
    admin = admin_user()
    residents = [make_resident(tree.grid_a, admin) for _ in range(7)]
    ids = {r.pk: r.id_number for r in residents}
    phones = {r.pk: r.phone for r in residents}
    tag = Tag.objects.filter(applies_to__in=[Tag.AppliesTo.RESIDENT, Tag.AppliesTo.BOTH]).first()
    assert tag is not None
    services.tag_assign(tag=tag, resident=residents[0], by=admin)
    worker = make_user(Role.GRID_WORKER, tree.grid_a, phone="13700001111")
    before = _raw(residents[0])

    # The new key goes first; the old one still decrypts, and look-ups still find every resident.
    old_key.PII_KEY, old_key.PII_PREVIOUS_KEYS = NEW, [OLD]
    assert Resident.objects.get(pk=residents[0].pk).id_number == ids[residents[0].pk]
    assert _found(admin, id_number=ids[residents[3].pk]) == [residents[3].pk]
    assert find_login_user("13700001111") == worker
    stale = rotation.check()
    assert stale["registry.Resident"] >= 7 * 4  # id_number, phone and both of their hashes

    call_command("rotate_pii_key", "--batch", "3", verbosity=0)  # several batches
    assert rotation.check() == {}
    assert _raw(residents[0]) != before and pii.is_current(_raw(residents[0]))
    job = Job.objects.get(kind="rotate_pii_key")
    assert job.state == Job.State.DONE and job.done == job.total and job.total >= 9

    # Drop the old key: everything still reads and every look-up still finds its resident.
    old_key.PII_PREVIOUS_KEYS = []
    for pk, id_number in ids.items():
        assert Resident.objects.get(pk=pk).id_number == id_number
        assert _found(admin, id_number=id_number) == [pk]
        assert _found(admin, phone=phones[pk]) == [pk]
    assert _found(admin, tag=tag.code) == [residents[0].pk]
    assert find_login_user("13700001111") == worker
    # New writes use the new key, and a duplicate ID is still refused by the unique hash.
    with pytest.raises(Exception, match="已登记"):
        make_resident(tree.grid_a, admin, id_number=ids[residents[1].pk])


def test_a_rotation_that_stops_resumes_from_its_cursor(tree: Tree, old_key: Any) -> None:
    admin = admin_user()
    residents = [make_resident(tree.grid_a, admin) for _ in range(6)]
    # One row was written under a key that is not configured: the run stops there.
    odd = residents[4]
    lost_token = pii._keys(LOST)[0].encrypt(make_id_number("19700101", 99).encode()).decode()
    Resident.objects.filter(pk=odd.pk).update(id_hash=None)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Resident._meta.db_table} SET id_number = %s WHERE id = %s", [lost_token, odd.pk]
        )

    old_key.PII_KEY, old_key.PII_PREVIOUS_KEYS = NEW, [OLD]
    with pytest.raises(CommandError, match="--resume"):
        call_command("rotate_pii_key", "--batch", "2", verbosity=0)
    job = Job.objects.get(kind="rotate_pii_key")
    assert job.state == Job.State.FAILED and "decrypted" in job.error
    resident_cursor = job.cursor["registry.Resident"]
    assert residents[0].pk <= resident_cursor < odd.pk  # the batches before the bad row are done
    assert pii.is_current(_raw(residents[0])) and not pii.is_current(_raw(residents[5]))

    # The lost key is found and configured: the same job resumes where it stopped and finishes.
    old_key.PII_PREVIOUS_KEYS = [OLD, LOST]
    call_command("rotate_pii_key", "--resume", str(job.pk), verbosity=0)
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert rotation.check() == {}
    old_key.PII_PREVIOUS_KEYS = []
    assert Resident.objects.get(pk=odd.pk).id_number == make_id_number("19700101", 99)
    assert all(pii.is_current(_raw(r)) for r in residents)
    with pytest.raises(CommandError, match="no key-rotation job"):
        call_command("rotate_pii_key", "--resume", "999999", verbosity=0)


def test_check_fails_while_values_are_under_an_old_key(tree: Tree, old_key: Any) -> None:
    make_resident(tree.grid_a, admin_user())
    call_command("rotate_pii_key", "--check", verbosity=0)  # nothing stale under one key
    old_key.PII_KEY, old_key.PII_PREVIOUS_KEYS = NEW, [OLD]
    with pytest.raises(CommandError, match="not yet under the current key"):
        call_command("rotate_pii_key", "--check", verbosity=0)
