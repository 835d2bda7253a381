from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top floor: public pages that compose several apps (home, consultation, meeting) and
    the participant's "My data" pages. No models."""

    name = "tashawur.web"
