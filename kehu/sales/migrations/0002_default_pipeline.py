"""The default pipeline: qualify, needs analysis, proposal, negotiation, won, lost."""

from django.db import migrations

STAGES = [
    # code, Chinese, English, outcome, probability
    ("qualify", "初步接洽", "Qualify", "open", 10),
    ("needs_analysis", "需求分析", "Needs analysis", "open", 25),
    ("proposal", "方案报价", "Proposal", "open", 50),
    ("negotiation", "商务谈判", "Negotiation", "open", 75),
    ("won", "赢单", "Won", "won", 100),
    ("lost", "输单", "Lost", "lost", 0),
]


def add_stages(apps, schema_editor):
    stage = apps.get_model("sales", "PipelineStage")
    for order, (code, name, name_en, outcome, probability) in enumerate(STAGES, start=1):
        stage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "outcome": outcome,
                "probability": probability,
                "sort_order": order * 10,
            },
        )


def remove_stages(apps, schema_editor):
    apps.get_model("sales", "PipelineStage").objects.filter(
        code__in=[code for code, *_ in STAGES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(add_stages, remove_stages)]
