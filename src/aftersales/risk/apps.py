from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "aftersales.risk"
    label = "risk"
