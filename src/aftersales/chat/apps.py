from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "aftersales.chat"
    label = "chat"
