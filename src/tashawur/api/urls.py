from django.urls import path

from tashawur.api import views

app_name = "api"

urlpatterns = [
    path("consultations", views.consultation_list, name="consultations"),
]
