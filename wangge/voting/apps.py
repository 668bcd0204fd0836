from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "wangge.voting"
    label = "voting"
    verbose_name = "业主表决与民意征集"
