from django.urls import path

from tashawur.programmes import edit_views, file_views, views

app_name = "programmes"

urlpatterns = [
    path("c/<slug:slug>/programme/", views.programme_detail, name="programme"),
    path("c/<slug:slug>/programme/pdf/", views.programme_pdf, name="programme_pdf"),
    # The programme workspace (edit_views): its coordinators build and follow the programme.
    path("c/<slug:slug>/programme/edit/", edit_views.programme_edit, name="edit"),
    path(
        "c/<slug:slug>/programme/edit/adopt/",
        edit_views.programme_adopt_view,
        name="edit_adopt",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/new/",
        edit_views.measure_new,
        name="edit_measure_new",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/",
        edit_views.measure_edit,
        name="edit_measure",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/move/",
        edit_views.measure_move_view,
        name="edit_measure_move",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/delete/",
        edit_views.measure_delete_view,
        name="edit_measure_delete",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/funding/",
        edit_views.funding_edit,
        name="edit_funding",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/findings/",
        edit_views.findings_edit,
        name="edit_findings",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/indicators/new/",
        edit_views.indicator_new,
        name="edit_indicator_new",
    ),
    path(
        "c/<slug:slug>/programme/edit/measures/<id:measure_id>/progress/",
        edit_views.progress_edit,
        name="edit_progress",
    ),
    path(
        "c/<slug:slug>/programme/edit/indicators/<id:indicator_id>/",
        edit_views.indicator_edit,
        name="edit_indicator",
    ),
    path(
        "c/<slug:slug>/programme/edit/indicators/<id:indicator_id>/values/",
        edit_views.indicator_value,
        name="edit_indicator_value",
    ),
    path(
        "c/<slug:slug>/programme/evidence/<id:update_id>/",
        edit_views.evidence,
        name="evidence",
    ),
    # The measures as files (file_views): export, template, import with a preview.
    path(
        "c/<slug:slug>/programme/measures.xlsx",
        file_views.measures_export,
        name="measures_export",
    ),
    path(
        "c/<slug:slug>/programme/measures.csv",
        file_views.measures_export_csv,
        name="measures_export_csv",
    ),
    path(
        "c/<slug:slug>/programme/edit/import/template/",
        file_views.measures_template,
        name="measures_template",
    ),
    path(
        "c/<slug:slug>/programme/edit/import/",
        file_views.measures_import_page,
        name="measures_import",
    ),
]
