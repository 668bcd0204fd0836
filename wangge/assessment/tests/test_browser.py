"""Browser (360 px phone): a community worker goes ranking → score → evidence and opens a counted case; then
sets a grade with a date in the future and sees the message next to the field, fixes it and sees the grade."""

from __future__ import annotations

import pytest

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, horizontal_overflow, make_tree, make_user

from .. import services
from ..models import GridWorkerGrade
from .helpers import OCT, active_scheme, make_month


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ranking_score_evidence_and_the_grade_form_on_a_phone(browser_page, settings):
    from wangge.appeals.tests.conftest import ensure_categories

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WANGGE_ASSESSMENT = {"min_sample": 1}
    ensure_categories()
    tree = make_tree()
    m = make_month(tree)
    gw = make_user(Role.GRID_WORKER, tree.grid_a, display_name="网格员小王")
    Appeal.objects.filter(pk__in=[m.cases["A"].pk, m.cases["B"].pk]).update(lead_user=gw)
    scheme = active_scheme(m, subject_kind="grid_worker", name="网格员月度考评")
    run = services.score_compute(scheme=scheme, period_start=OCT)
    score = run.scores.get(user=gw)
    make_user(Role.COMMUNITY_STAFF, tree.community, username="shequ01", display_name="社区小李")

    page = browser_page
    page.set_default_timeout(60_000)  # the shared machine is slow under load; the steps are still awaited
    page.set_viewport_size({"width": 360, "height": 640})
    browser_login(page, "shequ01", PASSWORD)
    page.goto(page.base_url + f"/assessment/schemes/{scheme.pk}/ranking/?period=2025-10")
    card = page.locator(f"#ranking a[href='/assessment/scores/{score.pk}/']")
    assert "网格员小王" in card.inner_text() and str(score.total) in card.inner_text()
    assert horizontal_overflow(page) == 0
    card.click()
    page.wait_for_url(f"**/assessment/scores/{score.pk}/")
    assert page.locator("#score-total").inner_text() == str(score.total)
    points = [float(t) for t in page.locator(".item-points").all_inner_texts()]
    assert round(sum(points), 2) == float(score.total)
    assert horizontal_overflow(page) == 0
    item = score.items.get(figure="appeals.resolution_rate")
    page.locator(f"#item-{item.pk} a.evidence-all").click()
    page.wait_for_url(f"**/assessment/scores/{score.pk}/items/{item.pk}/")
    links = page.locator("#evidence a")
    assert sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))")) == sorted(
        [f"/appeals/{m.cases['A'].pk}/", f"/appeals/{m.cases['B'].pk}/"]
    )
    assert horizontal_overflow(page) == 0

    # The grade form: a date in the future is refused next to its field; nothing is written.
    post = Post.objects.get(user=gw)
    page.goto(page.base_url + "/assessment/grades/")
    form = page.locator(f"#post-{post.pk} form")
    form.locator("select[name=tier]").select_option("2")
    form.locator("select[name=level]").select_option("3")
    form.locator("input[name=since]").fill("2999-01-01")
    form.locator("button[type=submit]").click()
    error = page.locator(f"#post-{post.pk} .field-error")
    error.wait_for()
    assert "定级日期" in error.inner_text()
    assert not GridWorkerGrade.objects.exists()
    form = page.locator(f"#post-{post.pk} form")
    form.locator("select[name=tier]").select_option("2")
    form.locator("select[name=level]").select_option("3")
    form.locator("input[name=since]").fill("2024-03-01")
    form.locator("button[type=submit]").click()
    page.locator(f"#post-{post.pk} .grade", has_text="二岗三级").wait_for()
    assert horizontal_overflow(page) == 0
    page.goto(page.base_url + f"/assessment/scores/{score.pk}/")
    assert page.locator("#score-grade").inner_text() == "二岗三级"
