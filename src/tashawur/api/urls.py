from django.urls import path

from tashawur.api import inbound_views, rollup, views, write_views

app_name = "api"

urlpatterns = [
    path("consultations", views.consultation_list, name="consultations"),
    path("openapi.json", views.openapi, name="openapi"),
    path("inbound/<str:gateway>", inbound_views.inbound, name="inbound"),
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
    path("strategies/<slug:slug>/rollup", rollup.strategy_rollup, name="strategy-rollup"),
    path(
        "workshops/<id:pk>/contributions",
        write_views.workshop_contributions,
        name="workshop-contributions",
    ),
    path(
        "workshops/<id:pk>/imports",
        write_views.workshop_imports,
        name="workshop-imports",
    ),
    path("imports/<id:pk>", write_views.notes_import_status, name="import"),
    path(
        "contributions/<id:pk>/votes",
        write_views.contribution_votes,
        name="contribution-votes",
    ),
]
