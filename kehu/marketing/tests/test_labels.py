"""Direct-mail address labels: the page and CSV for a marketer, audited as an export; a home
address masked for who may not reveal it, in clear (and audited) for an admin; refused to a
rep and a leader."""

from datetime import date

from kehu.core.models import AuditEvent
from kehu.customers.models import Customer, PersonProfile
from kehu.marketing import services


def _launched(marketer, segment, people):
    campaign = services.campaign_create(
        user=marketer,
        name="目录寄送",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        channels=["direct_mail"],
        segment_ids=[segment.pk],
    )
    Customer.objects.filter(pk=people["王芳"].pk).update(address="文三路 1 号", district="西湖区")
    PersonProfile.objects.filter(customer=people["李强"]).update(home_address="")
    profile = PersonProfile.objects.get(customer=people["李强"])
    profile.home_address = "莫干山路 88 号 3 幢 502 室"
    profile.save()
    services.campaign_launch(user=marketer, campaign=campaign)
    return campaign


def test_labels_page_and_csv_masked_and_audited(client, marketer, segment, people):
    campaign = _launched(marketer, segment, people)
    client.force_login(marketer)
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="campaign-labels"' in detail
    page = client.get(f"/campaigns/{campaign.pk}/labels/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "西湖区 文三路 1 号" in text
    assert "莫干山路 88 号 3 幢 502 室" not in text  # a marketer may not reveal home addresses
    assert "莫干山路 8****" in text
    csv = client.get(f"/campaigns/{campaign.pk}/labels/", {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert body.splitlines()[0] == "Name,Company,Province,City,District,Address"
    assert "王芳" in body
    assert "莫干山路 88 号" not in body
    exports = AuditEvent.objects.filter(action="export", object_type="marketing.campaign")
    assert sorted(e.detail["format"] for e in exports) == ["csv", "page"]
    assert not AuditEvent.objects.filter(action="reveal", object_type="marketing.campaign")


def test_an_admin_sees_home_addresses_and_the_reveal_is_audited(client, marketer, admin_user,
                                                                 segment, people):  # fmt: skip
    campaign = _launched(marketer, segment, people)
    client.force_login(admin_user)
    page = client.get(f"/campaigns/{campaign.pk}/labels/")
    assert "莫干山路 88 号 3 幢 502 室" in page.content.decode()
    reveal = AuditEvent.objects.get(action="reveal", object_type="marketing.campaign")
    assert reveal.detail["group"] == "address"


def test_labels_refused_to_a_rep_and_a_leader(client, marketer, rep, leader, segment, people):
    campaign = _launched(marketer, segment, people)
    client.force_login(rep)
    assert client.get(f"/campaigns/{campaign.pk}/labels/").status_code == 404
    client.force_login(leader)
    assert client.get(f"/campaigns/{campaign.pk}/labels/").status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
