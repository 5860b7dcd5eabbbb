from django.db import migrations

# code, Chinese name, English name, kind — the channels of seeds 000 and 003.
DEFAULT_CHANNELS = [
    ("direct_entry", "人工录入", "Entered by staff", "direct"),
    ("consultation", "咨询", "Consultation", "direct"),
    ("after_sales", "售后服务", "After-sales service", "direct"),
    ("complaint", "投诉", "Complaint", "direct"),
    ("survey", "问卷调查", "Survey", "direct"),
    ("marketing_event", "营销活动", "Marketing event", "direct"),
    ("membership_form", "会员登记表", "Membership form", "direct"),
    ("exhibition", "展会", "Exhibition", "direct"),
    ("website", "网站", "Website", "direct"),
    ("call_center", "呼叫中心", "Call center", "direct"),
    ("visit", "拜访", "Visit", "direct"),
    ("media", "媒体", "Media", "indirect"),
    ("business_registry", "工商登记信息", "Business registry", "indirect"),
    ("consultancy", "咨询公司", "Consultancy", "indirect"),
    ("purchased_list", "购买名单", "Purchased list", "indirect"),
    ("rented_list", "租用名单", "Rented list", "indirect"),
    ("partner", "合作伙伴", "Partner", "indirect"),
]


def add_channels(apps, schema_editor):
    Channel = apps.get_model("customers", "Channel")
    for order, (code, name, name_en, kind) in enumerate(DEFAULT_CHANNELS):
        Channel.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "kind": kind, "sort_order": order * 10},
        )


def remove_channels(apps, schema_editor):
    Channel = apps.get_model("customers", "Channel")
    Channel.objects.filter(code__in=[c[0] for c in DEFAULT_CHANNELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(add_channels, remove_channels)]
