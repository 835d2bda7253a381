from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from tashawur.core.views import set_language

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include("tashawur.api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("tashawur.core.urls")),
    path("", include("tashawur.web.urls")),
    path("", include("tashawur.contributions.urls")),
    path("", include("tashawur.diagnosis.urls")),
    path("", include("tashawur.programmes.urls")),
    prefix_default_language=False,
)

# A refused request (unreadable, or a body over DATA_UPLOAD_MAX_MEMORY_SIZE): translated page.
handler400 = "tashawur.config.handlers.bad_request"
