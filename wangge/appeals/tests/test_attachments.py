"""Photos: type and size checked, re-encoded without EXIF, the EXIF GPS kept as data and used to place a
随手拍 report that came without a location."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.appeals.models import Appeal, Attachment
from wangge.points.models import PointEntry
from wangge.testing import api_client

from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def jpeg_with_gps(lat: tuple[float, float, float], lng: tuple[float, float, float]) -> bytes:
    img = Image.new("RGB", (80, 60), "orange")
    exif = Image.Exif()
    exif[0x0110] = "TestPhone X"  # camera model: must not be served either
    exif[0x8825] = {1: "N", 2: lat, 3: "E", 4: lng}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_snapshot_is_located_from_the_photo_and_the_served_file_has_no_exif(world: World) -> None:
    # 32°30'18" N, 120°24'18" E = (32.505, 120.405): inside grid_a.
    raw = jpeg_with_gps((32.0, 30.0, 18.0), (120.0, 24.0, 18.0))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the test photo really carries GPS
    client = api_client(world.resident)
    res = client.post(
        "/api/v1/appeals",
        json.dumps({"category": "SJ0101", "description": "路边垃圾", "channel": "snapshot"}),
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    pk = res.json()["id"]
    assert res.json()["area_code"] == ""
    up = client.post(
        f"/api/v1/appeals/{pk}/attachments", {"file": SimpleUploadedFile("p.jpg", raw, "image/jpeg")}
    )
    assert up.status_code == 201, up.content
    gps = up.json()["exif_gps"]
    assert abs(gps["lat"] - 32.505) < 1e-6 and abs(gps["lng"] - 120.405) < 1e-6
    appeal = Appeal.objects.get(pk=pk)
    assert appeal.area_code == world.tree.grid_a.code and appeal.location_source == "exif"
    assert appeal.lat == pytest.approx(32.505)

    served = client.get(up.json()["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    data = b"".join(served.streaming_content)
    img = Image.open(io.BytesIO(data))
    assert not img.getexif().get_ifd(0x8825) and 0x0110 not in img.getexif()
    assert b"TestPhone" not in data and b"Exif" not in data
    stored = Attachment.objects.get(pk=up.json()["id"])
    assert stored.exif["gps"] == {"lat": 32.505, "lng": 120.405}

    # Once opened, the 随手拍 earns the reporter points.
    assert (
        api_client(world.community).post(f"/api/v1/appeals/{pk}/accept", "{}", "application/json").status_code
        == 200
    )
    assert PointEntry.objects.filter(user=world.resident, source_key=f"appeal:{pk}").exists()
    # Other residents cannot fetch the photo.
    assert api_client(world.resident2).get(up.json()["url"]).status_code == 404


def test_uploads_are_checked(world: World, settings: Any) -> None:
    client = api_client(world.resident)
    lat, lng = world.point(world.tree.grid_a)
    pk = client.post(
        "/api/v1/appeals",
        json.dumps({"category": "SQ0101", "description": "灯", "lat": lat, "lng": lng}),
        content_type="application/json",
    ).json()["id"]
    url = f"/api/v1/appeals/{pk}/attachments"
    fake = client.post(url, {"file": SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", "image/jpeg")})
    assert fake.status_code == 422 and fake.json()["errors"][0]["field"] == "file"
    settings.WANGGE_APPEALS_MAX_UPLOAD_BYTES = 100
    big = client.post(
        url, {"file": SimpleUploadedFile("b.jpg", jpeg_with_gps((1, 0, 0), (1, 0, 0)), "image/jpeg")}
    )
    assert big.status_code == 422
    assert Attachment.objects.count() == 0
    # A stranger cannot attach to someone else's case.
    other = api_client(world.resident2).post(
        url, {"file": SimpleUploadedFile("p.pdf", b"%PDF-1.4 x", "application/pdf")}
    )
    assert other.status_code == 404


def test_resolve_photos_are_linked_to_the_resolved_step(world: World) -> None:
    resident, dispatcher, handler = (
        api_client(world.resident),
        api_client(world.community),
        api_client(world.property_staff),
    )
    lat, lng = world.point(world.tree.grid_a)
    pk = resident.post(
        "/api/v1/appeals",
        json.dumps({"category": "SQ0101", "description": "灯", "lat": lat, "lng": lng}),
        content_type="application/json",
    ).json()["id"]
    for step, body in (
        ("accept", {}),
        ("dispatch", {"lead_unit_id": world.property_co.pk}),
        ("acknowledge", {}),
    ):
        client = handler if step == "acknowledge" else dispatcher
        assert (
            client.post(f"/api/v1/appeals/{pk}/{step}", json.dumps(body), "application/json").status_code
            == 200
        )
    png = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(png, format="PNG")
    up = handler.post(
        f"/api/v1/appeals/{pk}/attachments",
        {"file": SimpleUploadedFile("after.png", png.getvalue(), "image/png"), "purpose": "resolve"},
    )
    assert up.status_code == 201 and up.json()["content_type"] == "image/png"
    att = up.json()["id"]
    res = handler.post(
        f"/api/v1/appeals/{pk}/resolve",
        json.dumps({"note": "已更换", "attachment_ids": [att]}),
        "application/json",
    )
    resolved = next(e for e in res.json()["timeline"] if e["kind"] == "resolved")
    assert resolved["attachments"] == [att]
    # The same photo cannot be claimed by a second step, and the failed step writes nothing.
    checker = api_client(world.grid_worker)
    again = checker.post(
        f"/api/v1/appeals/{pk}/check",
        json.dumps({"passed": True, "attachment_ids": [att]}),
        "application/json",
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "attachment_ids"
    assert Appeal.objects.get(pk=pk).check_passed is False
