"""Pickers for forms, so that nobody types an area code or a coordinate:

- ``AreaPicker``: the viewer's areas by name (indented by level), with a filter box that narrows the list
  as one types a name; the form posts the chosen area's code. Works without JavaScript (a plain select).
- ``MapPointPicker``: a map to tap (plus "use my location") that fills hidden latitude/longitude inputs;
  without JavaScript the point stays empty (it is optional wherever it is used).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from .models import Area, Level

LEVEL_DEPTH = {Level.DISTRICT: 0, Level.STREET: 1, Level.COMMUNITY: 2, Level.GRID: 3, Level.MICROGRID: 4}


def area_option_label(name: str, level: str, top_depth: int = 0) -> str:
    """The name indented by its depth below the list's top level (full-width spaces read well in CJK)."""
    return "\u3000" * max(0, LEVEL_DEPTH.get(level, 0) - top_depth) + name  # type: ignore[call-overload]


class AreaPicker(forms.Select):
    """A select of areas by name with a filter box (static/areas/pickers.js); the value posted is the code."""

    template_name = "areas/widgets/area_picker.html"
    option_template_name = "django/forms/widgets/select_option.html"

    def __init__(self, attrs: dict[str, Any] | None = None, filter_label: str = "") -> None:
        super().__init__(attrs)
        self.filter_label = filter_label

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["filter_label"] = self.filter_label
        return context


class AreaChoiceField(forms.ModelChoiceField):
    """Choose one area of a queryset by name; cleans to the ``Area`` (looked up by code)."""

    widget = AreaPicker

    def __init__(self, queryset: QuerySet[Area] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "code")
        super().__init__(queryset if queryset is not None else Area.objects.none(), **kwargs)

    def label_from_instance(self, obj: Area) -> str:  # type: ignore[override]
        return area_option_label(obj.name, obj.level)


class MapPointPicker(forms.HiddenInput):
    """The latitude input of a point, hidden, drawn as a map to tap; ``lng_name`` names the form's (hidden)
    longitude input that the same map fills. The point is WGS84 (the map un-shifts GCJ-02 tiles itself)."""

    template_name = "areas/widgets/map_point.html"
    is_hidden = False  # shown with its label (the map), though its input is hidden

    def __init__(
        self,
        lng_name: str = "lng",
        attrs: dict[str, Any] | None = None,
        center: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.lng_name = lng_name
        self.center = center  # where the map opens while no point is set

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["lng_name"] = self.lng_name
        context["widget"]["center"] = self.center or ("", "")
        return context


def area_center(areas: QuerySet[Area]) -> tuple[float, float] | None:
    """The centre of the first area (by code) of ``areas`` that has one: where a map picker opens."""
    row = (
        areas.filter(center_lat__isnull=False, center_lng__isnull=False)
        .order_by("code")
        .values_list("center_lat", "center_lng")
        .first()
    )
    return (float(row[0] or 0), float(row[1] or 0)) if row else None
