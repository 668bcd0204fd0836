from django.contrib import admin

from .models import Notification, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "event", "title", "read_at")
    list_filter = ("event",)
    raw_id_fields = ("user",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "recipient", "event", "status", "attempts", "sent_at")
    list_filter = ("channel", "status")
    exclude = ("phone",)  # personal data: never shown in the admin
    raw_id_fields = ("recipient",)
