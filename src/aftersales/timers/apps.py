from django.apps import AppConfig


class TimersConfig(AppConfig):
    name = "aftersales.timers"
    label = "timers"
