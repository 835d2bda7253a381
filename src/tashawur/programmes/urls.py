from django.urls import path

from tashawur.programmes import views

app_name = "programmes"

urlpatterns = [
    path("c/<slug:slug>/programme/", views.programme_detail, name="programme"),
    path("c/<slug:slug>/programme/pdf/", views.programme_pdf, name="programme_pdf"),
]
