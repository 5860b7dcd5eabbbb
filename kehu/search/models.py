"""The search index (搜索索引): short terms pointing at customers, one range scan per query.

Why a table of our own rather than SQLite FTS5 or PostgreSQL full-text / pg_trgm: Chinese names
have no spaces and are often two characters long (张伟), below a trigram; pinyin (zhangwei, zw,
张w) and phone tails are not text those indexes understand; and both databases must behave the
same. So every searchable value becomes a few *terms* (``kehu.search.terms``): the name and
each of its suffixes (a prefix scan over suffixes is a substring search), full pinyin and
initials from every syllable, the phone number reversed (a prefix scan is a "last digits"
search), keyed hashes of e-mails, ID numbers and credit codes (exact only). A search is a
prefix range scan of one index per kind of term.

``owner_id`` and ``team_id`` copy the customer's, so a sales rep's scope narrows the scan inside
the index; the results are still fetched through ``customers_visible_to``, so a stale copy can
never show a customer outside the user's scope.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer


class BinaryCharField(models.CharField[str, str]):
    """Text compared byte by byte on PostgreSQL too (collation "C"), so that a prefix range
    ``term >= 'zw' AND term < 'zw\\U0010ffff'`` is exactly "starts with" and uses the index."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class SearchTerm(models.Model):
    class Source(models.IntegerChoices):
        NAME = 1, _("name")
        CONTACT = 2, _("contact")
        PHONE = 3, _("phone")
        CONTACT_PHONE = 4, _("contact's phone")
        EXACT = 5, _("e-mail, ID number or credit code")
        TAG = 6, _("tag")
        CUSTOM = 7, _("custom field")

    term = BinaryCharField(_("term"), max_length=48)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    source = models.PositiveSmallIntegerField(_("source"), choices=Source.choices)
    owner_id = models.IntegerField(_("owner"), null=True)
    team_id = models.IntegerField(_("team"), null=True)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        indexes = [
            # Covering: a scope-filtered prefix scan never reads the table.
            models.Index(
                fields=["term", "owner_id", "team_id", "customer", "source"],
                name="search_term_scan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.customer_id}"


class PendingTerm(models.Model):
    """A term of a customer written by a large import, not yet in the index: such an import
    keeps its terms here and moves them into ``SearchTerm`` in one pass, in the scan index's
    order, before it reports done (``search_pending_flush``). Millions of terms inserted at
    random places of the scan index were most of a large import's time; in sorted order each
    page of the index is written once."""

    term = BinaryCharField(_("term"), max_length=48)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    source = models.PositiveSmallIntegerField(_("source"), choices=SearchTerm.Source.choices)
    owner_id = models.IntegerField(_("owner"), null=True)
    team_id = models.IntegerField(_("team"), null=True)

    class Meta:
        verbose_name = _("pending search term")
        verbose_name_plural = _("pending search terms")

    def __str__(self) -> str:
        return f"{self.term} → {self.customer_id} (pending)"
