from django.db import migrations, models
from django.utils import timezone


def fill_sent_on(apps, schema_editor):
    """The local day of every send already made."""
    Send = apps.get_model("marketing", "Send")
    rows = []
    for send in Send.objects.exclude(sent_at=None).only("pk", "sent_at").iterator(chunk_size=2000):
        send.sent_on = timezone.localdate(send.sent_at)
        rows.append(send)
        if len(rows) == 2000:
            Send.objects.bulk_update(rows, ["sent_on"])
            rows = []
    Send.objects.bulk_update(rows, ["sent_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="send",
            name="sent_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="sent on"),
        ),
        migrations.RunPython(fill_sent_on, migrations.RunPython.noop),
    ]
