from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "aftersales.cases"
    label = "cases"
