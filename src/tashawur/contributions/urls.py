from django.urls import path

from tashawur.contributions import (
    capture_views,
    import_views,
    moderation_views,
    similar_views,
    views,
    voice_views,
    workshop_views,
)

app_name = "contributions"

urlpatterns = [
    path("w/<id:pk>/", views.workshop_detail, name="workshop"),
    path("w/<id:pk>/contribute/", views.submit, name="submit"),
    path("w/<id:pk>/open/", workshop_views.workshop_open, name="workshop_open"),
    path("w/<id:pk>/close/", workshop_views.workshop_close, name="workshop_close"),
    path("w/<id:pk>/speakers/", workshop_views.workshop_speakers, name="workshop_speakers"),
    path("w/<id:pk>/similar/", similar_views.similar, name="similar"),
    path("w/<id:pk>/import/", import_views.workshop_import, name="workshop_import"),
    path(
        "w/<id:pk>/import/<id:import_id>/",
        import_views.workshop_import_status,
        name="workshop_import_status",
    ),
    path(
        "w/<id:pk>/import/template/",
        import_views.workshop_import_template,
        name="workshop_import_template",
    ),
    path("w/<id:pk>/voice/", voice_views.voice_notes, name="voice_notes"),
    path("s/<id:pk>/vote/", views.vote, name="vote"),
    # Offline capture on a phone: the service worker's scope is /capture/.
    path("capture/", capture_views.capture_home, name="capture"),
    path("capture/w/<id:pk>/", capture_views.capture_workshop, name="capture_workshop"),
    path("capture/sw.js", capture_views.capture_sw, name="capture_sw"),
    path(
        "capture/manifest.webmanifest",
        capture_views.capture_manifest,
        name="capture_manifest",
    ),
    path("s/<id:pk>/audio", voice_views.audio, name="audio"),
    path("s/<id:pk>/flag/", moderation_views.flag, name="flag"),
    path("c/<slug:slug>/moderation/", moderation_views.moderation_queue, name="moderation"),
    path("c/<slug:slug>/moderation/<id:pk>/", moderation_views.moderate, name="moderate"),
]
