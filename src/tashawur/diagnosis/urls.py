from django.urls import path

from tashawur.diagnosis import views

app_name = "diagnosis"

urlpatterns = [
    path("c/<slug:slug>/diagnosis/", views.consultation_diagnosis, name="consultation"),
    path("c/<slug:slug>/diagnosis/run/", views.run_request, name="run"),
    path("c/<slug:slug>/diagnosis/findings/<int:pk>/", views.finding_detail, name="finding"),
    path(
        "c/<slug:slug>/diagnosis/findings/<int:pk>/rename/",
        views.finding_rename,
        name="finding_rename",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings/<int:pk>/status/",
        views.finding_status,
        name="finding_status",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings/<int:pk>/merge/",
        views.finding_merge,
        name="finding_merge",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings/<int:pk>/split/",
        views.finding_split,
        name="finding_split",
    ),
]
