from django.urls import path

from fees import views

app_name = "fees"

urlpatterns = [
    path("estimate/", views.estimate, name="estimate"),
]
