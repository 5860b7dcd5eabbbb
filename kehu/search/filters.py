"""The search index as a filter of the customer list: ``?q=`` on the list page and the API."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Contact
from kehu.customers.values import lookup_hashes
from kehu.search.models import SearchTerm
from kehu.search.terms import plan_query

TOP = "\U0010ffff"  # sorts after every character: [prefix, prefix + TOP) is "starts with"

# The list page and the list API ask for two characters: one (a surname such as 李, a single
# letter or digit) matches up to 7% of a million-customer archive, and filtering or ordering
# those rows was a scan of ~70,000 index entries per page (0.4-3.7 s with a province filter).
MIN_QUERY_LENGTH = 2
TOO_SHORT = _("Type at least two characters to search.")


def search_filter_q(q: str) -> Q:
    """Customers matching ``q`` as the search box finds them (scope is the caller's business).

    A subquery, not a list of ids, so the database joins it with the other filters and the page
    order; one character matches only names that start with it (a surname).
    """
    plan = plan_query(q[:100], hashes_of=lookup_hashes)
    probes = [p for p in plan.probes if not (len(plan.text) == 1 and p.inner)]
    if not probes:
        return Q(pk__in=[])
    ranges = Q()
    for probe in probes:
        ranges |= Q(term__gte=probe.prefix, term__lt=probe.prefix + TOP)
    matches = SearchTerm.objects.filter(ranges).values("customer_id")
    q_filter = Q(pk__in=matches)
    if plan.must_contain:
        contacts = Contact.objects.filter(name__contains=plan.must_contain)
        q_filter &= Q(name__contains=plan.must_contain) | Q(pk__in=contacts.values("customer_id"))
    return q_filter
