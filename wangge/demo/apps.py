from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "wangge.demo"
    label = "demo"
    verbose_name = "演示数据"

    def serve_banner(self) -> str:
        """The demo accounts, printed by ``wangge serve`` when it starts."""
        from .accounts import demo_accounts_table

        return demo_accounts_table()
