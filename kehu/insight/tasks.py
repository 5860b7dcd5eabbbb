"""Background work of profile insight: propensity scores refreshed every night, the large
archive's cross-tab counted every hour."""

import logging

from django.core.exceptions import ValidationError
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.customers.models import Customer
from kehu.insight import crosstab, services
from kehu.insight.models import CrossTabCell, PropensityModel

logger = logging.getLogger(__name__)


@db_task()
def propensity_train_task(model_id: int) -> None:
    model = PropensityModel.objects.filter(pk=model_id).first()
    if model is not None:
        services.propensity_train(model=model)


@db_periodic_task(crontab(hour="4", minute="10"))
def propensity_refresh_all() -> None:
    """Every model retrained and rescored on the latest orders (04:10)."""
    for model in PropensityModel.objects.all():
        try:
            services.propensity_train(model=model)
        except ValidationError as exc:  # too few buyers yet: keep the old scores
            logger.warning("propensity model %s not refreshed: %s", model.pk, exc)


@db_task()
def crosstab_count_task() -> None:
    """The cross-tab counted now (the explorer's "count now")."""
    crosstab.cube_build()


@db_periodic_task(crontab(minute="35"))
def crosstab_count_hourly() -> None:
    """A large archive's cross-tab counted again every hour. A small one is counted live: an
    archive that shrank below the size drops its old count rather than show it for ever."""
    if Customer.objects.live().count() >= crosstab.CUBE_FROM:
        crosstab.cube_build()
    else:
        CrossTabCell.objects.all().delete()
