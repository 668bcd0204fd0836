from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "wangge.visits"
    label = "visits"
    verbose_name = "入户走访"

    def ready(self) -> None:
        # The registry tells us, in its own transaction, when a household's tags or residence change.
        from wangge.registry.services import HOUSEHOLD_LISTENERS

        from .services import registry_household_changed

        if registry_household_changed not in HOUSEHOLD_LISTENERS:
            HOUSEHOLD_LISTENERS.append(registry_household_changed)
