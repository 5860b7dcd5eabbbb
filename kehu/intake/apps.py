from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "kehu.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from kehu.intake import selectors  # noqa: F401  (registers the timeline source)
