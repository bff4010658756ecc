"""Status badges: every status told apart by its colour and its words, legible, with AA contrast;
one tag (core.templatetags.netdesk.status_badge) draws them on every page."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from applications.models import Application
from guarantees.models import Guarantee, Receipt
from guarantees.selectors import CertificateState
from tests.factories import (
    ApplicationFactory,
    CertificateFactory,
    ElectronicObligeeFactory,
    GuaranteeFactory,
    IssuedGuaranteeFactory,
    UserFactory,
    days_from_today,
)

CSS = Path(settings.BASE_DIR) / "static" / "css" / "netdesk.css"

# The statuses a person compares side by side: each group's badges must differ in colour.
GROUPS = {
    "application": [value for value, _ in Application.Status.choices],
    # 申込中 shows no badge (the guarantee has only been asked for).
    "guarantee": [v for v, _ in Guarantee.Status.choices if v != Guarantee.Status.REQUESTED],
    "certificate": [value for value, _ in CertificateState.choices] + ["received"],
}


def badge_rules() -> dict[str, dict[str, str]]:
    """{status value: {property: value}} from the status badge block of netdesk.css."""
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS.read_text()):
        props = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";") if ":" in d)
        )
        for value in re.findall(r"\.nd-status\.nd-status-(\w+)", selectors):
            rules.setdefault(value, {}).update(props)
    return rules


def base_rule() -> dict[str, str]:
    body = re.search(r"\.badge\.nd-status \{([^}]*)\}", CSS.read_text())[1]
    return {n.strip(): v.strip() for n, _, v in (d.partition(":") for d in body.split(";")) if v}


def luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("group", GROUPS)
def test_each_status_of_a_group_has_a_colour_of_its_own(group):
    rules, base = badge_rules(), base_rule()
    looks = {
        value: (
            rules.get(value, {}).get("background", base["background"]),
            rules.get(value, {}).get("border-style", "solid"),
        )
        for value in GROUPS[group]
    }
    assert all(value in rules for value in GROUPS[group]), set(GROUPS[group]) - set(rules)
    assert len(set(looks.values())) == len(looks), looks


def test_every_badge_is_legible_with_aa_contrast():
    base = base_rule()
    # No smaller than the small text around it (Bootstrap's badge is 0.75em).
    assert float(base["font-size"].removesuffix("rem")) >= 0.875
    for value, rule in badge_rules().items():
        text = rule.get("color", base["color"])
        background = rule.get("background", base["background"])
        assert contrast(text, background) >= 4.5, (value, text, background)


def render(template: str, **context) -> str:
    return Template(template).render(Context(context))


def test_the_tag_writes_the_words_with_the_colour_of_the_value():
    html = render(
        '{% status_badge value label testid="state" large=True %}',
        value=CertificateState.SUPERSEDED,
        label="変更済",
    )
    assert html == (
        '<span class="badge nd-status nd-status-superseded nd-status-lg" '
        'data-testid="state">変更済</span>'
    )
    assert render("{% status_badge 'sent' '送信済' %}") == (
        '<span class="badge nd-status nd-status-sent">送信済</span>'
    )


def test_an_unknown_value_gets_the_neutral_badge_and_nothing_is_injected():
    html = render(
        "{% status_badge value label testid=testid %}",
        value='x" onclick="alert(1)',
        label="<b>?</b>",
        testid='"><script>',
    )
    assert html == (
        '<span class="badge nd-status" data-testid="&quot;&gt;&lt;script&gt;">'
        "&lt;b&gt;?&lt;/b&gt;</span>"
    )


@pytest.mark.django_db
def test_the_contractors_pages_colour_each_status(client, alice):
    application = ApplicationFactory(
        contractor=alice.contractor, created_by=alice, status=Application.Status.COMPLETED
    )
    guarantee = IssuedGuaranteeFactory(application=application, status=Guarantee.Status.AMENDED)
    CertificateFactory(guarantee=guarantee)
    GuaranteeFactory(
        application=ApplicationFactory(
            contractor=alice.contractor, created_by=alice, status=Application.Status.RETURNED
        )
    )
    client.force_login(alice)

    dashboard = client.get("/").content.decode()
    assert '<span class="badge nd-status nd-status-completed">完了</span>' in dashboard
    assert '<span class="badge nd-status nd-status-returned">差戻し</span>' in dashboard
    assert '<span class="badge nd-status nd-status-amended">変更</span>' in dashboard

    detail = client.get(f"/applications/{application.pk}/").content.decode()
    assert (
        '<span class="badge nd-status nd-status-completed nd-status-lg" '
        'data-testid="application-status">完了</span>'
    ) in detail
    assert '<span class="badge nd-status nd-status-amended">変更</span>' in detail


@pytest.mark.django_db
def test_the_obligee_sees_valid_superseded_and_cancelled_apart(client):
    user = UserFactory(contractor=None, obligee=ElectronicObligeeFactory(name="渋川市"))
    amended = IssuedGuaranteeFactory(
        application__obligee=user.obligee, status=Guarantee.Status.AMENDED
    )
    now = timezone.now()
    first = CertificateFactory(
        guarantee=amended,
        version=1,
        issued_at=now - datetime.timedelta(days=2),
        superseded_at=now - datetime.timedelta(days=1),
    )
    second = CertificateFactory(guarantee=amended, version=2)
    cancelled = CertificateFactory(
        guarantee=IssuedGuaranteeFactory(
            application__obligee=user.obligee, status=Guarantee.Status.CANCELLED
        )
    )
    for certificate in (first, second, cancelled):
        Receipt.objects.create(
            certificate=certificate,
            obligee=user.obligee,
            received_by=user,
            received_at=timezone.now(),
        )
    assert second.snapshot["guarantee_period"]["end"] >= days_from_today(1).isoformat()
    client.force_login(user)

    html = client.get("/obligee/").content.decode()
    states = re.findall(
        r'<span class="badge nd-status nd-status-(\w+)" data-testid="receipt-state">([^<]+)<', html
    )
    assert sorted(states) == [("cancelled", "解約"), ("superseded", "変更済"), ("valid", "有効")]

    detail = client.get(f"/obligee/certificates/{first.pk}/").content.decode()
    assert (
        '<span class="badge nd-status nd-status-superseded nd-status-lg" '
        'data-testid="certificate-state">変更済</span>'
    ) in detail
