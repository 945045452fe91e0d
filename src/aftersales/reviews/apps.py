from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "aftersales.reviews"
    label = "reviews"
