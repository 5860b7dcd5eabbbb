from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from kehu.config.api import api, other_slash

urlpatterns = [
    path("", include("kehu.core.urls")),
    path("accounts/", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("search/", include("kehu.search.urls")),
    path("archive-settings/", include("kehu.customers.admin_urls")),
    path("audit/", include("kehu.core.audit_urls")),
    path("calls/", include("kehu.intake.call_urls")),
    path("intake/", include("kehu.intake.urls")),
    path("f/", include("kehu.intake.public_urls")),
    path("service/", include("kehu.service.urls")),
    path("r/", include("kehu.service.public_urls")),
    path("", include("kehu.interactions.urls")),
    path("work/", include("kehu.tasks.urls")),
    path("pool/", include("kehu.pool.urls")),
    path("sales/", include("kehu.sales.urls")),
    path("basket/", include("kehu.basket.urls")),
    path("quality/", include("kehu.quality.urls")),
    path("duplicates/", include("kehu.dedup.urls")),
    path("exports/", include("kehu.exports.urls")),
    path("imports/", include("kehu.imports.urls")),
    path("analytics/", include("kehu.analytics.urls")),
    path("knowledge/", include("kehu.knowledge.urls")),
    path("faq/", include("kehu.knowledge.public_urls")),
    path("privacy/", include("kehu.privacy.urls")),
    path("bulk/", include("kehu.bulk.urls")),
    path("loyalty/", include("kehu.loyalty.urls")),
    path("campaigns/", include("kehu.marketing.urls")),
    path("m/", include("kehu.marketing.public_urls")),
    path("oversight/", include("kehu.oversight.urls")),
    path("surveys/", include("kehu.surveys.urls")),
    path("s/", include("kehu.surveys.public_urls")),
    path("insight/", include("kehu.insight.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", other_slash),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler403 = "kehu.core.views.forbidden"
handler404 = "kehu.core.views.not_found"
handler500 = "kehu.core.views.server_error"
