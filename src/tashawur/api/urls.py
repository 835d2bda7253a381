from django.urls import path

from tashawur.api import views

app_name = "api"

urlpatterns = [
    path("consultations", views.consultation_list, name="consultations"),
    path("openapi.json", views.openapi, name="openapi"),
    path(
        "consultations/<slug:slug>/open-data.zip",
        views.open_data_archive,
        name="open-data",
    ),
    path(
        "consultations/<slug:slug>/contributions.json",
        views.open_data_contributions_page,
        name="contributions",
    ),
]
