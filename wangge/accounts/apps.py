from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wangge.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import throttle

        # Connected after django-axes' receivers (axes is installed before this app), so they see its verdict.
        user_login_failed.connect(throttle.audit_login_failed, dispatch_uid="wangge.audit_login_failed")
        user_logged_in.connect(throttle.audit_logged_in, dispatch_uid="wangge.audit_logged_in")
