"""Command centre: the one map (clusters, layers, other networks' grids) and the big screen."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from wangge.core.schemas import ErrorOut

from . import selectors, services
from .schemas import (
    MapAreasOut,
    MapCaseOut,
    MapClustersOut,
    MapGridLinkOut,
    MapLayerImportedOut,
    MapLayerIn,
    MapLayerOut,
    MapPlacesOut,
    MapVolunteersOut,
)

router = Router(tags=["command"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ClusterFilter(Schema):
    bbox: str = Field(..., max_length=100, description="west,south,east,north (WGS84 degrees)")
    zoom: int = Field(..., ge=0, le=22)
    states: str | None = Field(
        None, max_length=200, description="comma list of states, or all (default: live)"
    )
    supervision: str | None = Field(None, max_length=40, description="comma list: normal,yellow,red")


@router.get("/map/clusters", response={200: MapClustersOut, **ERRORS})
def map_clusters(request: HttpRequest, filters: Query[ClusterFilter]):  # type: ignore[no-untyped-def]
    """The located cases in the box in the viewer's scope: clusters counted by state and supervision level
    (the box widened to whole cells, as ``box`` says) or, zoomed in on few cases, the cases themselves."""
    f = filters
    return selectors.case_clusters(
        viewer=request.user, bbox=f.bbox, zoom=f.zoom, states=f.states, supervision=f.supervision
    )


@router.get("/map/cases/{int:pk}", response={200: MapCaseOut, **ERRORS})
def map_case(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    """One case as the map's popup shows it, with the other networks' grids (警格) it lies in."""
    return selectors.case_popup(viewer=request.user, pk=pk)


@router.get("/map/areas", response={200: MapAreasOut, **ERRORS})
def map_areas(request: HttpRequest, area: str | None = None, figure: str = "score"):  # type: ignore[no-untyped-def]
    """The child areas of ``area`` coloured by ``figure`` (classes, legend, no data), the breadcrumb, and
    special households only as counts per area (withheld below the suppression threshold)."""
    if area is not None and len(area) > 17:
        from wangge.core.errors import InvalidInput

        raise InvalidInput.field("area", "区域编码至多17位")
    if len(figure) > 40:
        from wangge.core.errors import InvalidInput

        raise InvalidInput.field("figure", "未知指标")
    return selectors.map_areas(viewer=request.user, area=area, figure=figure)


@router.get("/map/layers", response={200: list[MapLayerOut], **ERRORS})
def map_layers(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The map's layers: our own and the imported layers of other networks (三网融合)."""
    return selectors.layer_list(viewer=request.user)


@router.get("/map/layers/places", response={200: MapPlacesOut, **ERRORS})
def map_layer_places(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Service places with their walking circle."""
    return selectors.places_layer(viewer=request.user)


@router.get("/map/layers/volunteers", response={200: MapVolunteersOut, **ERRORS})
def map_layer_volunteers(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Volunteers on duty now, counted at their task's place."""
    return selectors.volunteers_layer(viewer=request.user)


@router.get("/map/layers/features", response={200: dict[str, Any], **ERRORS})
def map_layer_features(request: HttpRequest, key: str = Query(..., max_length=40)):  # type: ignore[no-untyped-def]  # noqa: B008
    """An imported layer as GeoJSON: features with their own codes and the grids of ours (in the viewer's
    scope) they overlap."""
    return selectors.layer_geojson(viewer=request.user, key=key)


@router.post("/map/layers", response={201: MapLayerImportedOut, **ERRORS})
def map_layer_import(request: HttpRequest, data: MapLayerIn):  # type: ignore[no-untyped-def]
    """Import (or replace) a layer of another network from a GeoJSON FeatureCollection."""
    layer = services.layer_import(
        key=data.key,
        name=data.name,
        kind=data.kind,
        source=data.source,
        geojson=data.geojson,
        code_field=data.code_field,
        name_field=data.name_field,
        by=request.user,
    )
    return Status(
        201,
        {
            "key": layer.key,
            "name": layer.name,
            "kind": layer.kind,
            "features": layer.features.count(),
            "links": selectors.GridLayerLink.objects.filter(feature__layer=layer).count(),
        },
    )


@router.get("/map/grids/{code}/other-grids", response={200: list[MapGridLinkOut], **ERRORS})
def map_grid_links(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    """The other networks' grids one of our grids overlaps, with the share of our grid they cover."""
    return selectors.grid_other_grids(viewer=request.user, code=code[:17])
