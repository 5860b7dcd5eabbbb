from django.contrib import admin

from kehu.service.models import Case, CaseRating, Feedback, SpecialDay


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    list_display = ("id", "subject", "type", "priority", "status", "assigned_to", "created_at")
    list_filter = ("type", "priority", "status")
    raw_id_fields = ("customer", "contact", "assigned_to", "opened_by")
    search_fields = ("subject",)


@admin.register(CaseRating)
class CaseRatingAdmin(admin.ModelAdmin[CaseRating]):
    list_display = ("case", "score", "source", "created_at")
    raw_id_fields = ("case", "customer", "rated_by")


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin[Feedback]):
    list_display = ("id", "kind", "product_name", "satisfaction", "customer", "created_at")
    list_filter = ("kind", "question_type")
    raw_id_fields = ("customer", "case", "recorded_by")


admin.site.register(SpecialDay)
