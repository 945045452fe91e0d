from django.urls import include, path

from aftersales.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("aftersales.web.urls")),
]
