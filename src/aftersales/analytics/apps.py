from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "aftersales.analytics"
    label = "analytics"
