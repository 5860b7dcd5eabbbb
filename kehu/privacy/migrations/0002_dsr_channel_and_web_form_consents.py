"""The channel "data-subject request" for corrections made on a person's request, and the
consents already given through web forms brought into the register (for forms whose consent
text names its purposes)."""

from django.db import migrations

PURPOSES = {"marketing_email", "marketing_sms", "marketing_phone", "data_sharing", "sensitive_data"}


def forwards(apps, schema_editor):
    Channel = apps.get_model("customers", "Channel")
    Channel.objects.get_or_create(
        code="data_subject_request",
        defaults={
            "name": "个人信息权利请求",
            "name_en": "Data-subject request",
            "kind": "direct",
            "sort_order": 200,
        },
    )
    Submission = apps.get_model("intake", "WebFormSubmission")
    ConsentRecord = apps.get_model("privacy", "ConsentRecord")
    submissions = Submission.objects.filter(
        consent__isnull=False, customer__isnull=False
    ).select_related("form", "consent")
    for submission in submissions.iterator():
        for purpose in submission.form.consent_purposes or []:
            if purpose not in PURPOSES:
                continue
            ConsentRecord.objects.get_or_create(
                submission=submission,
                purpose=purpose,
                defaults={
                    "customer_id": submission.customer_id,
                    "granted": True,
                    "at": submission.consented_at or submission.submitted_at,
                    "method": "web_form",
                    "reference": f"{submission.form.slug} v{submission.consent.version}"[:200],
                },
            )


def backwards(apps, schema_editor):
    Channel = apps.get_model("customers", "Channel")
    Channel.objects.filter(code="data_subject_request").delete()
    apps.get_model("privacy", "ConsentRecord").objects.filter(method="web_form").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("customers", "0002_default_channels"),
        ("intake", "0004_webform_consent_purposes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
