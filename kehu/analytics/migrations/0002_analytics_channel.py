from django.db import migrations


def add_channel(apps, schema_editor):
    Channel = apps.get_model("customers", "Channel")
    Channel.objects.get_or_create(
        code="analytics",
        defaults={
            "name": "数据分析",
            "name_en": "Analytics",
            "kind": "indirect",
            "sort_order": 500,
        },
    )


def remove_channel(apps, schema_editor):
    # Kept while history rows point at it (the channel is PROTECTed by them).
    Channel = apps.get_model("customers", "Channel")
    CustomerChange = apps.get_model("customers", "CustomerChange")
    channel = Channel.objects.filter(code="analytics").first()
    if channel and not CustomerChange.objects.filter(channel=channel).exists():
        channel.delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("customers", "0002_default_channels")]

    operations = [migrations.RunPython(add_channel, remove_channel)]
