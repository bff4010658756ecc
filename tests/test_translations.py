"""The English catalogue (locale/en): complete, well-formed, and used by the pages.

Japanese is the source language (the msgids); English is the translation chosen with the
language switch (cookie). The catalogue is read here by hand: no extra dependency.
"""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Entries whose English is the same text as the source.
SAME_IN_ENGLISH = {"日本語", "English", "SHA-256"}
# Django's own English msgids, repeated by the admin templates the project overrides.
SAME_IN_ENGLISH |= {
    "Search", "Django site admin", "Django administration", "%(counter)s result",
    "Select this object for an action - {}",
}  # fmt: skip

# Labels and statuses every English user sees; they must be in the catalogue and translated.
IMPORTANT = {
    "前払金保証金額": "Advance-payment guarantee amount",
    "預託金融機関(全角)": "Deposit bank (full-width characters)",
    "申込送信先": None,
    "連絡先電話番号": "Contact phone number",
    "作成中": None,
    "送信済": "Sent",
    "差戻し": "Returned",
    "前払金保証": "Advance-payment guarantee",
    "契約保証": "Contract guarantee",
    "保証契約番号": "Guarantee number",
    "手続状況": "Status",
    "ネットデスクにログイン": "Sign in to Net Desk",
}


def _po_string(line: str) -> str:
    """The text of one quoted PO string: "..." with C escapes (the same as Python's)."""
    return ast.literal_eval(line[line.index('"') :])


def read_po(path: Path = PO_FILE) -> list[dict]:
    """The entries of a .po file: dicts with 'flags', 'msgid', 'msgid_plural', 'msgstr' (list)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": []}
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue  # comments, references, obsolete (#~) entries
            elif line.startswith('"'):
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += _po_string(line)
                else:
                    entry[key] += _po_string(line)
            else:
                key = line.split(" ", 1)[0]
                if key.startswith("msgstr"):
                    entry["msgstr"].append(_po_string(line))
                else:
                    entry[key] = _po_string(line)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def entries():
    return read_po()


@pytest.fixture(scope="module")
def catalogue(entries):
    return {e["msgid"]: e for e in entries if e["msgid"]}


def test_the_header_declares_english_utf8_and_two_plural_forms(entries):
    header = next(e for e in entries if e["msgid"] == "")
    text = header["msgstr"][0]
    assert "Language: en\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text
    assert "fuzzy" not in header["flags"]


def test_no_entry_is_fuzzy(catalogue):
    fuzzy = [msgid for msgid, e in catalogue.items() if "fuzzy" in e["flags"]]
    assert fuzzy == []


def test_every_entry_is_translated(catalogue):
    assert len(catalogue) > 100  # the file was read
    empty = []
    for msgid, e in catalogue.items():
        expected_forms = 2 if e["msgid_plural"] is not None else 1
        if len(e["msgstr"]) != expected_forms:
            empty.append(msgid)
        for text in e["msgstr"]:
            if not text or not text.strip():
                empty.append(msgid)
    assert empty == []


def test_no_entry_is_left_in_japanese(catalogue):
    untouched = [
        msgid
        for msgid, e in catalogue.items()
        if msgid not in SAME_IN_ENGLISH and msgid in e["msgstr"]
    ]
    assert untouched == []


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def test_translations_keep_every_placeholder(catalogue):
    wrong = []
    for msgid, e in catalogue.items():
        sources = [msgid] if e["msgid_plural"] is None else [msgid, e["msgid_plural"]]
        for source, text in zip(sources, e["msgstr"], strict=False):
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(text)):
                wrong.append((msgid, text))
    assert wrong == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext (msgfmt) is not installed")
def test_msgfmt_accepts_the_catalogue(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("msgid", sorted(IMPORTANT))
def test_important_labels_are_in_the_catalogue_and_translated(catalogue, msgid):
    assert msgid in catalogue, f"{msgid} is missing: run makemessages"
    english = catalogue[msgid]["msgstr"][0]
    if IMPORTANT[msgid]:
        assert english == IMPORTANT[msgid]
    # The compiled catalogue (make messages) is the one Django uses.
    with translation.override("en"):
        assert translation.gettext(msgid) == english
    with translation.override("ja"):
        assert translation.gettext(msgid) == msgid


def test_the_form_labels_follow_the_language():
    from applications.forms import ApplicationForm

    form = ApplicationForm
    with translation.override("en"):
        labels = {str(field.label) for field in form.base_fields.values()}
    assert "Advance-payment guarantee amount" in labels
    assert "Contact phone number" in labels


# Pages -----------------------------------------------------------------------------------


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_the_login_page_in_english(english):
    response = english.get(reverse("accounts:login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Sign in to Net Desk" in html
    assert "ネットデスクにログイン" not in html


@pytest.mark.django_db
def test_the_login_page_stays_japanese_without_a_choice(client):
    html = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ネットデスクにログイン" in html
    assert "Sign in to Net Desk" not in html


@pytest.mark.django_db
def test_the_language_switch_turns_the_site_to_english(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("accounts:login")}
    )
    assert response.status_code == 302
    html = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in to Net Desk" in html


@pytest.mark.django_db
def test_the_public_obligee_list_in_english(english):
    response = english.get(reverse("obligees:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Obligees accepting electronic guarantees" in html
    assert "電子保証対応の発注者" not in html
    assert "Search" in html


@pytest.mark.django_db
def test_the_dashboard_in_english(english, alice):
    english.force_login(alice)
    html = english.get(reverse("applications:dashboard")).content.decode()
    assert "Applications" in html and "New application" in html
    assert "Home" in html and "Sign out" in html
    assert "全体トップへ" not in html
