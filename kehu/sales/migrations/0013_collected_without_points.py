"""The daily summary's ``collected`` leaves out payments in loyalty points (no money came in:
``kehu.sales.summary.collects``). Take the points payments counted so far back out."""

from django.db import migrations
from django.db.models import F, Sum


def take_points_out(apps, schema_editor):
    Payment = apps.get_model("sales", "Payment")
    SalesDaily = apps.get_model("sales", "SalesDaily")
    counted = (
        Payment.objects.filter(method="points", reversed_at__isnull=True)
        .values("received_on", "owner_id", "team_id", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    for key in counted:
        amount = key.pop("amount")
        row = SalesDaily.objects.filter(
            day=key["received_on"], owner_id=key["owner_id"], team_id=key["team_id"],
            currency=key["currency"],
        ).order_by("pk").values_list("pk", flat=True)[:1]  # fmt: skip
        SalesDaily.objects.filter(pk__in=list(row)).update(collected=F("collected") - amount)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0012_sort_order_label"),
    ]

    operations = [migrations.RunPython(take_points_out, migrations.RunPython.noop)]
