from django.contrib import admin

from kehu.knowledge.models import Article, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("name", "parent", "position")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = ("title", "status", "audience", "owner", "updated_at")
    list_filter = ("status", "audience")
    search_fields = ("title",)
    readonly_fields = ("version", "views", "helpful", "not_helpful")
