"""The search index as a filter of the customer list: ``?q=`` on the list page and the API."""

from django.db.models import Q

from kehu.customers.models import Contact
from kehu.customers.values import lookup_hashes
from kehu.search.models import SearchTerm
from kehu.search.terms import plan_query

TOP = "\U0010ffff"  # sorts after every character: [prefix, prefix + TOP) is "starts with"


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
