"""The demo campaigns: finished, with members, contacts, responses and costs."""

from kehu.demo.marketing_load import demo_marketing_load
from kehu.marketing import selectors
from kehu.marketing.models import Campaign, Response


def test_demo_campaigns(marketer, rep, people):
    assert demo_marketing_load(seed=1) == 3
    assert demo_marketing_load(seed=1) == 0  # once
    campaigns = Campaign.objects.all()
    assert {c.status for c in campaigns} == {"finished"}
    assert Response.objects.exists()
    for campaign in campaigns:
        results = selectors.campaign_results(campaign)
        assert results.total.cost > 0
    assert selectors.channel_comparison(user=marketer)
