from django.urls import path

from tashawur.web import account, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.consultation_detail, name="consultation"),
    path("m/<slug:slug>/", views.meeting_detail, name="meeting"),
    path("signup/", account.signup, name="signup"),
    # No participant id in these addresses: each signed-in person reaches only their own data.
    path("me/", account.me, name="me"),
    path("me/consent/", account.me_consent, name="me_consent"),
    path("me/erase/", account.me_erase, name="me_erase"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/export.json", views.my_data_json, name="my_data_json"),
    path("me/data/export.zip", views.my_data_csv, name="my_data_csv"),
]
