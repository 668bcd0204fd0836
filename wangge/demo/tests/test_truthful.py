"""A demo that earns trust (issue 9, item 8): the built small demo, hooks and all, is checked against rules a
visitor would notice. Each test fails when its rule is broken: case descriptions come from their own
category's texts; children's wishes go to households with a child and old people's to old people; tasks start
at sensible hours; nobody rates a case they handled; every resident and staff account has a phone and phone
login works; a few residents signed up by themselves, with their consent recorded.

The demo is built once for the module, at a fixed late-evening clock (22:40 local), so that a task placed
"within the hour" would land at night and the hours rule is tested whatever the time of the run. It is
rolled back afterwards."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.demo.build import Built, build_demo

pytestmark = pytest.mark.django_db

LATE_EVENING = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=22, minute=40, second=0, microsecond=0)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Built]:
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: LATE_EVENING.astimezone(dt.UTC))
        with transaction.atomic():
            built = build_demo(size="small", seed=2024, stdout=io.StringIO(), run_hooks=True)
            mp.undo()
            yield built
            transaction.set_rollback(True)


def test_every_hook_ran(demo: Built) -> None:
    assert demo.hook_errors == []


def test_case_descriptions_match_their_categories(demo: Built) -> None:
    from wangge.appeals.demo import CASE_TEXTS, PLACES
    from wangge.appeals.models import Appeal

    places = "|".join(map(re.escape, PLACES))
    patterns = {
        code: [
            re.compile("^" + re.escape(t).replace(re.escape("{n}"), f"({places})") + "(（又有人反映）)?$")
            for t in ts
        ]
        for code, ts in CASE_TEXTS.items()
    }
    cases = list(
        Appeal.objects.filter(idempotency_key__regex=r"^demo-[0-9]+(-dup)?$").values_list(
            "pk", "category__code", "category__name", "description"
        )
    )
    assert len(cases) >= 100
    wrong = [
        (pk, code, name, text)
        for pk, code, name, text in cases
        if not any(p.match(text) for p in patterns.get(code, []))
    ]
    assert wrong == []


def test_each_category_text_names_its_own_matter() -> None:
    """The texts themselves: each shares a keyword with its category's name or opening condition."""
    from wangge.appeals.demo import CASE_TEXTS
    from wangge.appeals.models import Category

    cats = {c.code: c for c in Category.objects.filter(parent__isnull=False, active=True)}
    assert set(cats) <= set(CASE_TEXTS)

    def shares_a_word(text: str, c: Category) -> bool:
        source = c.name + c.open_condition
        return any(source[i : i + 2] in text for i in range(len(source) - 1))

    assert [
        (code, t) for code, ts in CASE_TEXTS.items() for t in ts if not shares_a_word(t, cats[code])
    ] == []


CHILD_WISHES = ("儿童", "书包", "文具", "足球", "作业", "绘本")
ELDER_WISHES = ("老花镜", "拐杖", "助行", "血压计", "读报", "陪同去医院", "智能手机")


def _age(birth: dt.date | None, on: dt.date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def test_wishes_fit_their_beneficiary(demo: Built) -> None:
    from wangge.registry.models import Resident
    from wangge.wishes.models import Wish

    today = timezone.localdate()
    wishes = list(Wish.objects.select_related("beneficiary").order_by("pk"))
    assert len(wishes) >= 20
    household_ages: dict[int, list[int]] = {}
    for hid, birth in Resident.objects.filter(
        household_id__in={w.beneficiary.household_id for w in wishes}, active=True
    ).values_list("household_id", "birth_date"):
        age = _age(birth, today)
        if age is not None:
            household_ages.setdefault(hid, []).append(age)
    wrong = []
    for w in wishes:
        ages = household_ages.get(w.beneficiary.household_id, [])
        own = _age(w.beneficiary.birth_date, today)
        if any(k in w.title for k in CHILD_WISHES) and not any(a < 18 for a in ages):
            wrong.append((w.pk, w.title, "no child in the household", ages))
        if any(k in w.title for k in ELDER_WISHES) and (own is None or own < 60):
            wrong.append((w.pk, w.title, "beneficiary not old", own))
        if "孩子" in w.reason and not any(a < 18 for a in ages):
            wrong.append((w.pk, w.reason, "no child in the household", ages))
    assert wrong == []


def test_tasks_start_at_sensible_hours(demo: Built) -> None:
    from wangge.volunteers.models import Activity

    rows = list(Activity.objects.values_list("title", "starts_at", "ends_at"))
    assert rows
    odd = [
        (title, timezone.localtime(s), timezone.localtime(e))
        for title, s, e in rows
        if not (
            7 <= timezone.localtime(s).hour < 21 and timezone.localtime(e) <= _at_21(timezone.localtime(s))
        )
    ]
    assert odd == []


def _at_21(start: dt.datetime) -> dt.datetime:
    return start.replace(hour=21, minute=0, second=0, microsecond=0)


def test_nobody_rates_a_case_they_handled(demo: Built) -> None:
    from wangge.appeals.models import Appeal, AppealEvent, Assignment, EventKind, Rating

    ratings = list(Rating.objects.values_list("appeal_id", "by_id"))
    assert len(ratings) >= 50
    handlers: dict[int, set[int]] = {}
    for aid, uid in Assignment.objects.filter(user__isnull=False).values_list("appeal_id", "user_id"):
        handlers.setdefault(aid, set()).add(uid)
    for aid, uid in Appeal.objects.filter(lead_user__isnull=False).values_list("pk", "lead_user_id"):
        handlers.setdefault(aid, set()).add(uid)
    handling_kinds = [EventKind.ACKNOWLEDGED, EventKind.STARTED, EventKind.RESOLVED, EventKind.RETURNED]
    for aid, uid in AppealEvent.objects.filter(kind__in=handling_kinds, actor__isnull=False).values_list(
        "appeal_id", "actor_id"
    ):
        handlers.setdefault(aid, set()).add(uid)
    assert [(aid, by) for aid, by in ratings if by in handlers.get(aid, set())] == []


PEOPLE_ROLES = [r for r in Role.values if r != Role.ADMIN]


def test_every_resident_and_staff_account_has_a_phone(demo: Built) -> None:
    without = list(
        User.objects.filter(role__in=PEOPLE_ROLES, is_active=True)
        .filter(phone_hash__isnull=True)
        .values_list("username", flat=True)
    )
    assert without == []
    phones = [u.phone for u in User.objects.filter(role__in=PEOPLE_ROLES, is_active=True)]
    assert len(phones) == len(set(phones))


def test_phone_login_works_for_a_demo_resident_and_a_grid_worker(demo: Built, client: Any) -> None:
    from django.conf import settings

    for username in ("resident", "gridworker001"):
        user = User.objects.get(username=username)
        res = client.post(
            "/accounts/login/", {"username": user.phone, "password": settings.WANGGE_DEMO_PASSWORD}
        )
        assert res.status_code == 302, username
        assert client.get("/api/v1/auth/me").json()["username"] == username
        client.logout()


def test_a_few_residents_signed_up_by_themselves_with_consent(demo: Built) -> None:
    from wangge.core import pii
    from wangge.signup.models import Consent, PhoneCode

    used = set(
        PhoneCode.objects.filter(purpose="signup", used_at__isnull=False).values_list("phone_hash", flat=True)
    )
    consented = set(Consent.objects.values_list("user_id", flat=True))
    selfmade = [
        u
        for u in User.objects.filter(role=Role.RESIDENT, pk__in=consented)
        if u.phone and pii.phone_hash(u.phone) in used
    ]
    assert len(selfmade) >= 3
