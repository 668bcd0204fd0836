from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "wangge.registry"
    label = "registry"
    verbose_name = "人房信息"

    def ready(self) -> None:
        # The area page counts what the registry holds; areas must not import the registry (layers).
        from wangge.areas.selectors import AREA_COUNTERS

        from .selectors import area_registry_counts

        if area_registry_counts not in AREA_COUNTERS:
            AREA_COUNTERS.append(area_registry_counts)
        # Maps without a tile server draw the buildings the viewer may see (wangge/areas/basemap.py).
        from wangge.areas.basemap import BASEMAP_POINTS

        from .selectors import basemap_buildings

        if basemap_buildings not in BASEMAP_POINTS:
            BASEMAP_POINTS.append(basemap_buildings)
