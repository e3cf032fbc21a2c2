"""URLs of the customer screens in ``customer_views`` (``/connect/`` is public: no login)."""

from django.urls import path

from . import customer_views

urlpatterns = [
    path("connect/<str:token>/", customer_views.connect, name="connect"),
    path("connect/confirm/<str:token>/", customer_views.connect_confirm, name="connect-confirm"),
    path(
        "customers/<int:customer_id>/connect-link",
        customer_views.customer_connect_link,
        name="customer-connect-link",
    ),
    path(
        "customers/imports/<int:import_id>/", customer_views.customer_import_progress, name="customer-import"
    ),
]
