from django.urls import path

from tashawur.diagnosis import views

app_name = "diagnosis"

urlpatterns = [
    path("c/<slug:slug>/diagnosis/", views.consultation_diagnosis, name="consultation"),
    path("c/<slug:slug>/diagnosis/run/", views.run_request, name="run"),
    path("c/<slug:slug>/diagnosis/findings/<int:pk>/", views.finding_detail, name="finding"),
]
