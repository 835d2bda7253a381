from django.contrib.auth import views as auth_views
from django.urls import path

from tashawur.core import views

app_name = "core"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
