"""The public survey page (no login): ``/survey/<token>/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("survey/<str:token>/", views.survey_answer_page, name="survey-answer"),
]
