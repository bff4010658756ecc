from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("", views.people, name="people"),
    path("invite/", views.invite, name="invite"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    # The e-mail's link; it forwards to the form below, keeping the token in the session.
    path("invitations/accept/", views.accept, name="accept"),
    path("invitations/<str:token>/", views.accept_link, name="accept_link"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/role/", views.person_role, name="person_role"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/reactivate/", views.person_reactivate, name="person_reactivate"),
    path("timeline/", views.timeline, name="timeline"),
]
