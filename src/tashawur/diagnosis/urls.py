from django.urls import path

from tashawur.diagnosis import report_views, views

app_name = "diagnosis"

urlpatterns = [
    path("c/<slug:slug>/diagnosis/", views.consultation_diagnosis, name="consultation"),
    path("c/<slug:slug>/diagnosis/run/", views.run_request, name="run"),
    path("c/<slug:slug>/diagnosis/findings/<id:pk>/", views.finding_detail, name="finding"),
    path(
        "c/<slug:slug>/diagnosis/findings/<id:pk>/rename/",
        views.finding_rename,
        name="finding_rename",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings/<id:pk>/status/",
        views.finding_status,
        name="finding_status",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings/<id:pk>/merge/",
        views.finding_merge,
        name="finding_merge",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings/<id:pk>/split/",
        views.finding_split,
        name="finding_split",
    ),
    path(
        "c/<slug:slug>/diagnosis/carry-over/<id:pk>/",
        views.carry_over_decide,
        name="carry_over_decide",
    ),
    path("c/<slug:slug>/diagnosis/published/", views.diagnosis_published, name="published"),
    # The diagnosis as files (report_views): the publication as PDF, the run as workbooks.
    path(
        "c/<slug:slug>/diagnosis/published/pdf/",
        report_views.published_pdf,
        name="published_pdf",
    ),
    path(
        "c/<slug:slug>/diagnosis/findings.xlsx",
        report_views.findings_export,
        name="findings_export",
    ),
    path(
        "c/<slug:slug>/diagnosis/breakdowns.xlsx",
        report_views.breakdowns_export,
        name="breakdowns_export",
    ),
    path("c/<slug:slug>/diagnosis/write/", views.diagnosis_editor, name="editor"),
    path(
        "c/<slug:slug>/diagnosis/write/entries/",
        views.diagnosis_entry_create,
        name="entry_create",
    ),
    path(
        "c/<slug:slug>/diagnosis/write/entries/<id:pk>/",
        views.diagnosis_entry_edit,
        name="entry_edit",
    ),
    path(
        "c/<slug:slug>/diagnosis/write/entries/<id:pk>/save/",
        views.diagnosis_entry_update,
        name="entry_update",
    ),
    path(
        "c/<slug:slug>/diagnosis/write/entries/<id:pk>/move/",
        views.diagnosis_entry_move,
        name="entry_move",
    ),
    path(
        "c/<slug:slug>/diagnosis/write/entries/<id:pk>/delete/",
        views.diagnosis_entry_delete,
        name="entry_delete",
    ),
    path("c/<slug:slug>/diagnosis/write/propose/", views.diagnosis_propose, name="propose"),
    path("c/<slug:slug>/diagnosis/write/publish/", views.diagnosis_publish, name="publish"),
]
