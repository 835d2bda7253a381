from django.urls import path

from tashawur.contributions import views

app_name = "contributions"

urlpatterns = [
    path("w/<id:pk>/", views.workshop_detail, name="workshop"),
    path("w/<id:pk>/contribute/", views.submit, name="submit"),
    path("s/<id:pk>/vote/", views.vote, name="vote"),
]
