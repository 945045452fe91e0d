from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "aftersales.logistics"
    label = "logistics"
