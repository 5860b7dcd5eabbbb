from decimal import Decimal

from django.db import migrations, models

# The orders an opportunity became, added to the summary as rows of their own (the summary's
# rows are deltas that the reports sum, so extra rows for a key are harmless).
FILL = """
INSERT INTO sales_salesdaily
    (day, owner_id, team_id, currency, orders, revenue, new_customers, collected, won, lost,
     opportunity_revenue)
SELECT ordered_on, owner_id, team_id, currency, 0, 0, 0, 0, 0, 0, SUM(total_amount)
FROM sales_order
WHERE status <> 'cancelled' AND opportunity_id IS NOT NULL
GROUP BY ordered_on, owner_id, team_id, currency
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0009_alter_payment_method"),
    ]

    operations = [
        migrations.AddField(
            model_name="salesdaily",
            name="opportunity_revenue",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=18,
                verbose_name="revenue from opportunities",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
