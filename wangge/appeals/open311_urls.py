"""Open311 GeoReport v2 under /open311/v2/, resources named exactly as the spec names them."""

from django.urls import re_path

from wangge.appeals import open311_views as v

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, v.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, v.services, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, v.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, v.requests, name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + FMT, v.request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, v.token, name="open311-token"),
]
