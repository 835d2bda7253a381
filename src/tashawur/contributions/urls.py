from django.urls import path

from tashawur.contributions import views

app_name = "contributions"

urlpatterns = [
    path("w/<int:pk>/contribute/", views.submit, name="submit"),
    path("s/<int:pk>/vote/", views.vote, name="vote"),
]
