"""The web benchmark's URLs: the app's own, plus ``/_bench/bare/``, a bare Django view through
the same middleware, measured as the floor of every request (never part of the app's URLs)."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from tashawur.config.urls import handler400
from tashawur.config.urls import urlpatterns as app_urlpatterns

__all__ = ["handler400", "urlpatterns"]


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns: list[URLPattern | URLResolver] = [path("_bench/bare/", bare), *app_urlpatterns]
