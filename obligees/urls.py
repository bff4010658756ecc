from django.urls import path

from obligees import views

app_name = "obligees"

urlpatterns = [
    path("", views.obligee_list, name="list"),
    path("search/", views.obligee_search, name="search"),
]
