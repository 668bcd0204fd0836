"""Writes of the one map: importing another network's layer (警格…) from GeoJSON and linking our grids to it."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from shapely.strtree import STRtree

from wangge.areas import geo
from wangge.areas.models import Area, AreaIndexState, Level
from wangge.core.audit import audit
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.roles import user_can

from .models import CaseCellState, GridLayerLink, LayerFeature, MapLayer

MAX_FEATURES = 20_000
MAX_BYTES = 20 * 1024 * 1024
MIN_SHARE = 0.001  # slivers from boundaries drawn by two networks are not an overlap


def can_import_layers(user: Any) -> bool:
    return user_can(user, "areas.write") or user_can(user, "metrics.read_all")


def parse_geojson(
    raw: str | bytes | dict[str, Any], *, code_field: str = "code", name_field: str = "name"
) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection as ``{code, name, geometry, bounds}``, or InvalidInput
    naming the ``geojson`` field and the first bad feature."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise InvalidInput.field("geojson", _("文件过大（上限20MB）"))
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput.field("geojson", _("文件须为UTF-8编码的GeoJSON")) from None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise InvalidInput.field("geojson", _("不是有效的JSON: %(e)s") % {"e": str(exc)[:80]}) from None
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise InvalidInput.field("geojson", _("须为GeoJSON FeatureCollection"))
    features = raw.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput.field("geojson", _("FeatureCollection中没有要素（features）"))
    if len(features) > MAX_FEATURES:
        raise InvalidInput.field("geojson", _("要素过多（上限%(n)d个）") % {"n": MAX_FEATURES})
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, feature in enumerate(features, start=1):
        where = _("第%(i)d个要素") % {"i": i}
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InvalidInput.field("geojson", _("%(w)s不是Feature") % {"w": where})
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InvalidInput.field("geojson", _("%(w)s的properties须为对象") % {"w": where})
        code = str(props.get(code_field) or "").strip()
        if not code or len(code) > 40 or "\x00" in code:
            raise InvalidInput.field(
                "geojson", _("%(w)s缺少编码（properties.%(f)s，至多40字）") % {"w": where, "f": code_field}
            )
        if code in seen:
            raise InvalidInput.field("geojson", _("%(w)s的编码 %(c)s 重复") % {"w": where, "c": code})
        seen.add(code)
        name = str(props.get(name_field) or "").replace("\x00", "").strip()[:80]
        try:
            geom = geo.parse_boundary(feature.get("geometry"))
        except geo.BoundaryError as exc:
            raise InvalidInput.field("geojson", f"{where}（{code}）: {exc}") from None
        except (TypeError, ValueError, KeyError, IndexError):
            raise InvalidInput.field(
                "geojson", _("%(w)s（%(c)s）的坐标格式错误") % {"w": where, "c": code}
            ) from None
        west, south, east, north = geom.bounds
        out.append(
            {
                "code": code,
                "name": name,
                "geometry": feature["geometry"],
                "bounds": (west, south, east, north),
            }
        )
    return out


@transaction.atomic(durable=True)
def layer_import(**kwargs: Any) -> MapLayer:
    """Import (or replace) a layer (see ``layer_import_within``), as one durable transaction."""
    return layer_import_within(**kwargs)


@transaction.atomic
def layer_import_within(
    *,
    key: str,
    name: str,
    geojson: str | bytes | dict[str, Any],
    kind: str = MapLayer.Kind.POLICE,
    source: str = "",
    code_field: str = "code",
    name_field: str = "name",
    by: Any,
) -> MapLayer:
    """Import (or replace) the layer ``key`` from a GeoJSON FeatureCollection, each feature keeping its own
    code, and link our grids to the features they overlap. Bad input writes nothing."""
    if by is not None and not can_import_layers(by):
        raise Forbidden(_("无权导入图层"))
    key = (key or "").strip().lower()
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", key):
        raise InvalidInput.field("key", _("图层标识须为1–40位小写字母、数字、-或_"))
    name = (name or "").replace("\x00", "").strip()
    if not name or len(name) > 60:
        raise InvalidInput.field("name", _("图层名称须为1–60字"))
    if kind not in MapLayer.Kind.values:
        raise InvalidInput.field("kind", _("未知图层类型"))
    features = parse_geojson(geojson, code_field=code_field, name_field=name_field)
    layer, created = MapLayer.objects.update_or_create(
        key=key,
        defaults={
            "name": name,
            "kind": kind,
            "source": source[:120],
            "imported_by": by if getattr(by, "pk", None) else None,
        },
    )
    layer.features.all().delete()
    LayerFeature.objects.bulk_create(
        [
            LayerFeature(
                layer=layer,
                code=f["code"],
                name=f["name"],
                geometry=f["geometry"],
                min_lng=f["bounds"][0],
                min_lat=f["bounds"][1],
                max_lng=f["bounds"][2],
                max_lat=f["bounds"][3],
            )
            for f in features
        ],
        batch_size=1000,
    )
    links = _link_layer(layer)
    audit(
        "create" if created else "update",
        layer,
        by=by,
        changes={"features": len(features), "links": links},
    )
    return layer


def _our_grids() -> list[tuple[str, Any]]:
    out = []
    for code, boundary in Area.objects.filter(level=Level.GRID, boundary__isnull=False).values_list(
        "code", "boundary"
    ):
        try:
            out.append((code, geo.parse_boundary(boundary)))
        except geo.BoundaryError:  # pragma: no cover - area services validate boundaries
            continue
    return out


def _link_layer(layer: MapLayer, grids: list[tuple[str, Any]] | None = None) -> int:
    """Replace the layer's links: each of our grids ↔ every feature it overlaps, with the overlap's share of
    our grid's area (areas compared in degrees²: the grids are small, the share is a ratio)."""
    grids = _our_grids() if grids is None else grids
    feats = list(layer.features.values_list("id", "geometry"))
    GridLayerLink.objects.filter(feature__layer=layer).delete()
    if not feats or not grids:
        return 0
    shapes = [geo.parse_boundary(g) for _, g in feats]
    tree = STRtree(shapes)
    rows = []
    for code, grid in grids:
        if grid.area <= 0:
            continue
        for i in sorted(int(i) for i in tree.query(grid)):
            share = grid.intersection(shapes[i]).area / grid.area
            if share >= MIN_SHARE:
                rows.append(GridLayerLink(feature_id=feats[i][0], grid_code=code, share=min(share, 1.0)))
    GridLayerLink.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def layer_links_rebuild(*, by: Any = None) -> dict[str, int]:
    """Recompute every layer's links (our grid boundaries changed)."""
    grids = _our_grids()
    with transaction.atomic():
        total = sum(_link_layer(layer, grids) for layer in MapLayer.objects.order_by("id"))
    return {"layers": MapLayer.objects.count(), "links": total}


def links_tick() -> dict[str, int] | None:
    """Periodic: relink when the area boundary version moved since the last linking."""
    version = AreaIndexState.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    state = CaseCellState.objects.filter(pk=1).first()
    if state is not None and state.links_version == version:
        return None
    result = layer_links_rebuild()
    CaseCellState.objects.update_or_create(pk=1, defaults={"links_version": version})
    return result
