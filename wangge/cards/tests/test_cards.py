"""The 便民服务卡: a grid's PDF holds one card per household, eight to a page, each QR code decoding to the
report page for its building; scope (404 out of scope); the resident's own card; the report page prefilled."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pypdfium2
import pytest
import zxingcpp
from django.test import Client

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.appeals.prefill import report_path_for_building
from wangge.registry.models import Resident
from wangge.testing import make_user
from wangge.visits.tests.factories import make_household

BASE = "http://testserver"


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def _pdf_pages(pdf: bytes) -> list[tuple[str, list[str]]]:
    """Each page's text and the QR codes decoded from the page rendered as an image (a real decode)."""
    doc = pypdfium2.PdfDocument(pdf)
    out = []
    for i in range(len(doc)):
        page = doc[i]
        text = page.get_textpage().get_text_range()
        image = page.render(scale=3).to_pil()
        codes = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
        out.append((text, codes))
    return out


@pytest.fixture
def grid_a(tree):  # type: ignore[no-untyped-def]
    tree.community.hotline = "0513-88765432"
    tree.community.save(update_fields=["hotline"])
    worker = make_user(Role.GRID_WORKER, tree.grid_a, display_name="王网格")
    Post.objects.filter(user=worker).update(work_phone="13906270001")
    return worker


@pytest.mark.django_db
def test_grid_pdf_has_one_card_per_household_and_each_qr_opens_its_building(tree, grid_a):
    households = [make_household(tree.grid_a) for _ in range(9)]  # 9 cards: a full page and one more
    gone = make_household(tree.grid_a)
    gone.active = False  # moved out: no card
    gone.save(update_fields=["active"])
    Resident.objects.filter(household__in=households).update(name="张秘密")

    r = _login(grid_a).get(f"/cards/grid/{tree.grid_a.code}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content[:5] == b"%PDF-"
    disposition = r["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="cards-{tree.grid_a.code}-')
    chinese = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert chinese and unquote(chinese.group(1)).startswith(f"便民服务卡-{tree.grid_a.name}-")

    pages = _pdf_pages(r.content)
    assert len(pages) == 2
    assert [(text.count("扫码反映问题"), len(codes)) for text, codes in pages] == [(8, 8), (1, 1)]
    decoded = sorted(code for _, codes in pages for code in codes)
    by_building = sorted(f"{BASE}{report_path_for_building(h.house.building_id)}" for h in households)
    assert decoded == by_building
    text = "".join(t for t, _ in pages)
    assert "王网格" in text and "13906270001" in text and "0513-88765432" in text and tree.grid_a.name in text
    assert "张秘密" not in text and "居民" not in text  # a resident's data never appears


@pytest.mark.django_db
def test_a_worker_prints_only_their_grids(tree, grid_a):
    make_household(tree.grid_c)
    c = _login(grid_a)
    assert c.get(f"/cards/grid/{tree.grid_c.code}/pdf/").status_code == 404  # out of scope
    assert c.get("/cards/grid/320621999999999/pdf/").status_code == 404  # missing: the same answer
    assert c.get(f"/cards/grid/{tree.community.code}/pdf/").status_code == 404  # not a grid
    page = c.get("/cards/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'data-grid="{tree.grid_a.code}"' in body and f'data-grid="{tree.grid_c.code}"' not in body
    resident = make_user(Role.RESIDENT)
    assert _login(resident).get("/cards/").status_code == 404
    assert _login(resident).get(f"/cards/grid/{tree.grid_a.code}/pdf/").status_code == 404


@pytest.mark.django_db
def test_resident_sees_their_card_with_an_inline_svg_qr(tree, grid_a):
    h = make_household(tree.grid_a)
    user = make_user(Role.RESIDENT)
    Resident.objects.filter(household=h).update(account=user)
    c = _login(user)
    body = c.get("/cards/mine/").content.decode()
    card = body.split('id="service-card"', 1)[1].split("</section>", 1)[0]
    assert (
        "<svg" in card and "<script" not in card and "<img" not in card and " on" not in card.split("<svg")[0]
    )
    assert "13906270001" in body and "0513-88765432" in body and "王网格" in body
    assert report_path_for_building(h.house.building_id) in body
    fragment = c.get("/cards/mine/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.count('id="service-card"') == 1 and "<html" not in fragment
    # The home page loads it; someone without a household gets nothing.
    assert "/cards/mine/" in c.get("/").content.decode()
    other = _login(make_user(Role.RESIDENT))
    assert 'id="service-card"' not in other.get("/cards/mine/", HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.django_db
def test_report_page_opened_from_the_qr_has_the_building_filled_in(tree):
    h = make_household(tree.grid_a)
    b = h.house.building
    c = _login(make_user(Role.RESIDENT))
    body = c.get(report_path_for_building(b.pk)).content.decode()
    assert f'value="{b.address}"' in body and f'value="{b.lat}"' in body
    # A bare id (walking the ids) or a forged token fills nothing.
    forged = report_path_for_building(b.pk).rsplit(":", 1)[0] + ":forged"
    for bad in (str(b.pk), forged.split("building=")[1], "abc", "99999999", "１２", "1" * 40):
        r = c.get(f"/appeals/report/?building={bad}")
        assert r.status_code == 200 and f'value="{b.address}"' not in r.content.decode()
