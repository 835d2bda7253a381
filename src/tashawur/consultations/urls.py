from django.urls import path

from tashawur.consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.consultation_detail, name="consultation"),
    path("m/<slug:slug>/", views.meeting_detail, name="meeting"),
    path("w/<id:pk>/", views.workshop_detail, name="workshop"),
]
