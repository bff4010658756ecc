"""The handover notice (already on clerks' desks) and the screen say the same: what the notice's
steps tell the clerk to open and press is there, with those very words."""

import re
import subprocess

import pytest
from django.urls import reverse

from tests.obligee_portal.conftest import notice_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limits")]


def notice_steps(certificate, key, tmp_path) -> str:
    """The text of the notice's 受領の手順 and what follows, as a reader sees it (no spaces)."""
    path = tmp_path / "notice.pdf"
    path.write_bytes(notice_of(certificate, key))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = re.sub(r"\s+", "", text)
    return text[text.index("受領の手順") :]


def on_screen(html: str, word: str) -> bool:
    """`word` as an item of the 発注者メニュー or as a button."""
    menu = re.search(r'<nav[^>]*aria-label="発注者メニュー".*?</nav>', html, re.S)
    return bool(menu and f">{word}</a>" in menu[0]) or f">{word}</button>" in html


def test_every_word_the_notice_quotes_is_on_the_receive_page_and_the_list(
    client, obligee_user, certificate, key, tmp_path
):
    steps = notice_steps(certificate, key, tmp_path)
    quoted = re.findall(r"「([^」]+)」", steps)
    assert "電子保証の受領" in quoted and "受領する" in quoted
    client.force_login(obligee_user)
    for url in (reverse("obligee_portal:home"), reverse("obligee_portal:receive")):
        html = client.get(url).content.decode()
        for word in quoted:
            assert on_screen(html, word), (url, word)
        assert "登録する" not in html and "認証キーの登録" not in html


def test_the_menu_item_the_notice_names_opens_the_page_its_address_and_qr_code_open(
    client, obligee_user, certificate, key, tmp_path
):
    steps = notice_steps(certificate, key, tmp_path)
    assert reverse("obligee_portal:receive") in steps  # step 1's address
    client.force_login(obligee_user)
    html = client.get(reverse("obligee_portal:home")).content.decode()
    assert (
        f'<a class="nav-link" href="{reverse("obligee_portal:receive")}">電子保証の受領</a>' in html
    )
    page = client.get(reverse("obligee_portal:receive")).content.decode()
    assert re.search(r"<title>電子保証の受領 \|", page)
    assert re.search(r"<h1[^>]*>電子保証の受領<", page)
    assert 'aria-current="page" href="/obligee/receive/">電子保証の受領</a>' in page
    # 「このPDFファイルを受領画面にドロップ」: the receive page takes the notice itself.
    assert "ドロップ" in steps and "data-nd-drop" in page


def test_a_refused_pair_stays_on_the_receive_page_with_what_was_typed(
    client, obligee_user, certificate
):
    client.force_login(obligee_user)
    response = client.post(
        reverse("obligee_portal:receive"),
        {"number": certificate.guarantee.number, "key": "0000-0000-0000-0000-0\x00" + "9" * 30},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="register-error"' in html or 'id="id_key-error"' in html
    assert f'value="{certificate.guarantee.number}"' in html
    assert re.search(r"<h1[^>]*>電子保証の受領<", html)
