from django.urls import path

from tashawur.actors import views

app_name = "actors"

# No participant id in these addresses: each signed-in person reaches only their own data.
urlpatterns = [
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/export.json", views.my_data_json, name="my_data_json"),
    path("me/data/export.zip", views.my_data_csv, name="my_data_csv"),
]
