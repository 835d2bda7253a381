from django.urls import path

from tashawur.contributions import moderation_views, views, workshop_views

app_name = "contributions"

urlpatterns = [
    path("w/<id:pk>/", views.workshop_detail, name="workshop"),
    path("w/<id:pk>/contribute/", views.submit, name="submit"),
    path("w/<id:pk>/open/", workshop_views.workshop_open, name="workshop_open"),
    path("w/<id:pk>/close/", workshop_views.workshop_close, name="workshop_close"),
    path("w/<id:pk>/speakers/", workshop_views.workshop_speakers, name="workshop_speakers"),
    path("s/<id:pk>/vote/", views.vote, name="vote"),
    path("s/<id:pk>/flag/", moderation_views.flag, name="flag"),
    path("c/<slug:slug>/moderation/", moderation_views.moderation_queue, name="moderation"),
    path("c/<slug:slug>/moderation/<id:pk>/", moderation_views.moderate, name="moderate"),
]
