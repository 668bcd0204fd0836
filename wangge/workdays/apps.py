from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "wangge.workdays"
    label = "workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from wangge.workdays import checks  # noqa: F401  (registers the system check)
        from wangge.workdays.models import CalendarYear, DayOverride, WorkingHours
        from wangge.workdays.selectors import calendar_invalidate

        def _drop(**kwargs):  # type: ignore[no-untyped-def]
            # Cache invalidation only; no business logic lives in signals.
            calendar_invalidate()

        for model in (CalendarYear, DayOverride, WorkingHours):
            post_save.connect(
                _drop, sender=model, weak=False, dispatch_uid=f"workdays-cal-{model.__name__}-save"
            )
            post_delete.connect(
                _drop, sender=model, weak=False, dispatch_uid=f"workdays-cal-{model.__name__}-del"
            )
