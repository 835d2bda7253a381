from django.urls import path

from tashawur.web import (
    account,
    contribution_page,
    meeting_views,
    strategy_report_views,
    strategy_views,
    tokens,
    views,
    workspace,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.consultation_detail, name="consultation"),
    path("m/<slug:slug>/", views.meeting_detail, name="meeting"),
    # A meeting's door: registration and badge (the person's own), check-in and attendance
    # sheet (the meeting's staff, names included).
    path("m/<slug:slug>/register/", meeting_views.meeting_register_page, name="meeting_register"),
    path("m/<slug:slug>/badge.pdf", meeting_views.meeting_badge, name="meeting_badge"),
    path("m/<slug:slug>/checkin/", meeting_views.meeting_checkin, name="meeting_checkin"),
    path(
        "m/<slug:slug>/attendance.xlsx",
        meeting_views.meeting_attendance_xlsx,
        name="meeting_attendance_xlsx",
    ),
    path(
        "m/<slug:slug>/attendance.pdf",
        meeting_views.meeting_attendance_pdf,
        name="meeting_attendance_pdf",
    ),
    # A contribution's own page and what became of it (``/s/<pk>/vote/`` and ``/flag/`` are
    # the contributions app's).
    path("s/<id:pk>/", contribution_page.contribution_detail, name="contribution"),
    # A strategy's national picture: after the contribution's page, which takes numeric ids.
    path("s/<slug:slug>/", strategy_views.strategy_detail, name="strategy"),
    path("s/<slug:slug>/compare/", strategy_views.strategy_compare, name="strategy_compare"),
    path("s/<slug:slug>/pdf/", strategy_report_views.strategy_pdf, name="strategy_pdf"),
    path("s/<slug:slug>/rollup/", strategy_views.strategy_rollup_run, name="strategy_rollup_run"),
    path("signup/", account.signup, name="signup"),
    # No participant id in these addresses: each signed-in person reaches only their own data.
    path("me/", account.me, name="me"),
    path("me/consent/", account.me_consent, name="me_consent"),
    path("me/erase/", account.me_erase, name="me_erase"),
    path("me/tokens/", tokens.me_tokens, name="me_tokens"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/export.json", views.my_data_json, name="my_data_json"),
    path("me/data/export.zip", views.my_data_csv, name="my_data_csv"),
    # The staff workspace: every object is checked against the user's scope (selectors).
    path("manage/", workspace.dashboard, name="manage"),
    path("manage/tokens/", tokens.manage_tokens, name="manage_tokens"),
    path("manage/c/new/", workspace.consultation_new, name="manage_consultation_new"),
    path("manage/c/<slug:slug>/", workspace.consultation_edit, name="manage_consultation"),
    path("manage/c/<slug:slug>/meetings/new/", workspace.meeting_new, name="manage_meeting_new"),
    path("manage/c/<slug:slug>/invitations/", workspace.invitations, name="manage_invitations"),
    path("manage/m/<slug:slug>/", workspace.meeting_edit, name="manage_meeting"),
    path("manage/m/<slug:slug>/workshops/new/", workspace.workshop_new, name="manage_workshop_new"),
    path("manage/w/<id:pk>/", workspace.workshop_edit, name="manage_workshop"),
    path("i/<str:token>/", workspace.invitation_landing, name="invitation"),
]
