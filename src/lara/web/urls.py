from django.contrib.auth import views as auth_views
from django.urls import path

from . import live, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.inbox, name="inbox"),
    path("bulk", views.inbox_bulk, name="inbox-bulk"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path(
        "customers/<int:customer_id>/suggestions/<int:suggestion_id>/accept",
        views.customer_suggestion,
        {"decision": "accept"},
        name="customer-suggestion-accept",
    ),
    path(
        "customers/<int:customer_id>/suggestions/<int:suggestion_id>/reject",
        views.customer_suggestion,
        {"decision": "reject"},
        name="customer-suggestion-reject",
    ),
    path("mentions/", views.mentions, name="mentions"),
    path("live/", live.live_stream, name="live"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/language", views.set_language, name="set-language"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/reply", views.case_reply, name="case-reply"),
    path("cases/<str:reference>/status", views.case_status, name="case-status"),
]
