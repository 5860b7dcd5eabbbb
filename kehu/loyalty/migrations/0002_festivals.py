"""The festivals of the care calendar: 元旦, 春节, 元宵, 清明, 端午, 中秋, 国庆 (the lunar ones and
清明 are computed for each year by ``kehu.loyalty.festivals``)."""

from django.db import migrations

FESTIVALS = [
    ("new-year", "元旦", "solar", 1, 1, ""),
    ("spring-festival", "春节", "lunar", 1, 1, ""),
    ("lantern", "元宵节", "lunar", 1, 15, ""),
    ("qingming", "清明节", "solar_term", 4, 5, "清明"),
    ("dragon-boat", "端午节", "lunar", 5, 5, ""),
    ("mid-autumn", "中秋节", "lunar", 8, 15, ""),
    ("national-day", "国庆节", "solar", 10, 1, ""),
]


def add(apps, schema_editor):
    Festival = apps.get_model("loyalty", "Festival")
    for code, name, calendar, month, day, term in FESTIVALS:
        Festival.objects.get_or_create(
            code=code,
            defaults={"name": name, "calendar": calendar, "month": month, "day": day, "term": term},
        )


def remove(apps, schema_editor):
    apps.get_model("loyalty", "Festival").objects.filter(
        code__in=[f[0] for f in FESTIVALS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
