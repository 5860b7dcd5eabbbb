from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_notification_preferences"),
        ("customers", "0011_customers_review_cycle"),
        ("sales", "0013_collected_without_points"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The (owner, stage) index with the close date and amount: a rep's open pipeline on the
        # home page is counted and summed from the index, not each opportunity's row.
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["owner", "stage", "expected_close_on", "amount"],
                name="sales_opp_owner_pipeline_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="opportunity", name="sales_oppor_owner_i_0b28c6_idx"),
        migrations.RunSQL("ANALYZE sales_opportunity", reverse_sql=migrations.RunSQL.noop),
    ]
