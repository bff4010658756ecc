"""申込作成: the form page, its rules' errors and what it keeps of what was typed."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.forms import PREFIX, ApplicationForm, GuaranteeRequestForm
from applications.models import Application
from core.models import AuditEntry
from guarantees.models import Guarantee
from tests.factories import ApplicationFactory, ObligeeFactory

pytestmark = pytest.mark.django_db

SEED_LABELS = [
    "発注者", "工事・業務委託", "工事名", "工事場所", "契約日", "請負金額(税込)", "今年度対象額",
    "前払金保証を申し込む", "保証証書の形式", "前払金保証金額", "預託金融機関(全角)", "再預託利用区分",
    "前払金保証料支払方法", "前払金保証料請求先", "保証料計算書(紙)について", "契約保証を申し込む",
    "契約保証金額", "契約保証料支払方法", "契約保証料請求先", "申込送信先", "電子保証発行完了のお知らせ",
    "メールアドレス", "担当部署", "役職", "担当者名", "連絡先電話番号", "お客様から弊社への連絡事項",
]  # fmt: skip


def test_the_form_has_every_seed_field_with_a_bound_label(client, alice, branch, shibukawa):
    client.force_login(alice)
    html = client.get(reverse("applications:new")).content.decode()
    for label in SEED_LABELS:
        assert re.search(rf"<(label|legend)[^>]*>\s*{re.escape(label)}", html), label
    for_ids = set(re.findall(r'<label[^>]+for="([^"]+)"', html))
    for control in [
        "id_works_name",
        "id_ag_amount",
        "id_cg_amount",
        "id_ag_deposit_bank",
        "id_branch",
        "id_notify_email",
        "id_contact_phone",
        "id_obligee",
    ]:
        assert control in for_ids
    assert re.search(r"<legend>前払金保証</legend>", html)
    assert re.search(r"<legend>契約保証</legend>", html)
    assert "保証の申込内容をクリア" in html and "インフォメーションをクリア" in html
    assert 'href="/obligees/"' in html and "電子保証対応の発注者は" in html
    assert "弊社からお客様へのお知らせ" in html


@pytest.mark.parametrize(("kind", "absent"), [("advance", []), ("contract", ["deposit_bank"])])
def test_each_kind_asks_the_same_questions_under_its_prefix(kind, absent):
    prefix = PREFIX[kind]
    request_fields = GuaranteeRequestForm(kind=kind).fields
    assert not set(absent) & set(request_fields)
    held = {
        name.removeprefix(prefix): field
        for name, field in ApplicationForm.base_fields.items()
        if name.startswith(prefix)
    }
    assert list(held) == list(request_fields)
    for name, field in request_fields.items():
        assert type(held[name]) is type(field)
        assert (str(held[name].label), str(held[name].help_text)) == (
            str(field.label),
            str(field.help_text),
        )


def test_a_valid_form_saves_a_normalised_draft_and_goes_to_confirm(client, alice, form_data):
    client.force_login(alice)
    data = form_data(
        contract_amount="５０，０００，０００",
        ag_amount="２０，０００，０００円",
        ag_deposit_bank="ﾏﾙﾏﾙｷﾞﾝｺｳ ｼﾌﾞｶﾜｼﾃﾝ",
        contact_phone="０２７－２５２－１６６１",
    )
    response = client.post(reverse("applications:new"), data)

    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:confirm", args=[application.pk])
    assert application.status == Application.Status.DRAFT
    assert application.contractor == alice.contractor
    assert application.contract_amount == 50_000_000
    assert application.contact_phone == "027-252-1661"
    advance = application.guarantees.get()
    assert advance.kind == Guarantee.Kind.ADVANCE
    assert advance.amount == 20_000_000
    assert advance.deposit_bank == "マルマルギンコウ　シブカワシテン"
    assert advance.certificate_format == Guarantee.Format.ELECTRONIC
    assert AuditEntry.objects.filter(action="application.created", user=alice).count() == 1


def test_errors_are_shown_in_japanese_and_nothing_typed_is_lost(client, alice, form_data):
    client.force_login(alice)
    data = form_data(
        ag_amount="２０，０００，００１",
        works_name="",
        notify_email="",
        message_to_company="至急お願いします",
    )
    response = client.post(reverse("applications:new"), data)
    html = response.content.decode()

    assert response.status_code == 200
    assert Application.objects.count() == 0
    assert "入力内容に誤りがあります" in html
    assert "前払金保証金額は請負金額の4割(20,000,000円)以下にしてください。" in html
    assert "「希望する」場合はメールアドレスを入力してください。" in html
    assert re.search(
        r'<a href="#id_works_name" class="alert-link">工事名</a>: 入力してください', html
    )
    assert 'value="２０，０００，００１"' in html
    assert "至急お願いします" in html
    assert 'value="渋川市石原地内"' in html


def test_bad_amounts_and_dates_are_reported_on_their_field(client, alice, form_data):
    client.force_login(alice)
    data = form_data(
        contract_amount="五千万", cg_requested="on", cg_amount="-5", period_end="2027-02-30"
    )
    html = client.post(reverse("applications:new"), data).content.decode()
    assert "金額は数字で入力してください(例: 20,000,000)。" in html
    assert "金額は数字で入力してください" in html  # "-5" is not a yen amount either
    assert "2027年2月30日という日付はありません。" in html
    assert Application.objects.count() == 0


def test_electronic_is_refused_for_an_obligee_that_does_not_accept_it(
    client, alice, form_data, takasaki
):
    client.force_login(alice)
    response = client.post(reverse("applications:new"), form_data(obligee=takasaki.pk))
    assert "高崎市は前払金保証の電子保証に対応していません。証書(紙)を選択してください。" in (
        response.content.decode()
    )
    paper = form_data(obligee=takasaki.pk, ag_certificate_format="paper")
    assert client.post(reverse("applications:new"), paper).status_code == 302


def test_one_kind_at_least(client, alice, form_data):
    client.force_login(alice)
    response = client.post(reverse("applications:new"), form_data(ag_requested=None))
    assert "前払金保証、契約保証のいずれかを申し込んでください。" in response.content.decode()


def test_a_draft_saves_without_the_sending_rules(client, alice, form_data):
    client.force_login(alice)
    data = form_data(action="draft", works_place="", ag_amount="99,000,000", branch="")
    response = client.post(reverse("applications:new"), data, follow=True)

    application = Application.objects.get()
    assert response.redirect_chain[-1][0] == reverse("applications:edit", args=[application.pk])
    assert "下書きを保存しました。" in response.content.decode()
    assert application.status == Application.Status.DRAFT
    assert application.guarantees.get().amount == 99_000_000
    # Resuming the draft shows what was typed.
    html = client.get(reverse("applications:edit", args=[application.pk])).content.decode()
    assert 'value="99,000,000"' in html
    assert 'value="市道1号線道路改良工事"' in html


def test_posting_the_same_blank_form_twice_saves_one_draft(client, alice, form_data):
    client.force_login(alice)
    data = form_data()
    first = client.post(reverse("applications:new"), data)
    second = client.post(reverse("applications:new"), {**data, "works_name": "二度目"})
    assert first["Location"] == second["Location"]
    assert Application.objects.get().works_name == "二度目"


def test_unchecking_a_kind_removes_its_request(client, alice, form_data):
    client.force_login(alice)
    data = form_data(cg_requested="on", cg_amount="5,000,000")
    client.post(reverse("applications:new"), data)
    assert Application.objects.get().guarantees.count() == 2
    client.post(reverse("applications:new"), {**data, "cg_requested": ""})
    assert list(Application.objects.get().guarantees.values_list("kind", flat=True)) == ["advance"]


def test_the_live_percentage_starts_from_the_typed_values(client, alice, form_data):
    client.force_login(alice)
    data = form_data(ag_amount="20,000,001")
    html = client.post(reverse("applications:new"), data).content.decode()
    assert re.search(r'data-percent="advance"[^>]*>40\.0%', html)


# --- 発注者: a name box with candidates from /obligees/search/ and a hidden id ------------------


def _obligee_control(html: str) -> str:
    return re.search(r'<div class="nd-combobox.*?</div>\s*</div>', html, re.S).group()


def test_the_form_page_carries_no_registry(client, alice, shibukawa, takasaki):
    client.force_login(alice)
    html = client.get(reverse("applications:new")).content.decode()

    control = _obligee_control(html)
    assert re.search(r'<label\s+for="id_obligee" class="form-label">\s*発注者\s*</label>', html)
    assert re.search(
        r'<input type="text" name="obligee_text" value=""[^>]* id="id_obligee">', control
    )
    assert '<input type="hidden" name="obligee" value="" data-obligee-id>' in control
    assert 'data-url="/obligees/search/"' in control
    assert "<option" not in control and "高崎市" not in html and "渋川市(群馬県)" not in html


def _shown(html: str) -> tuple[str, str]:
    control = _obligee_control(html)
    text = re.search(r'name="obligee_text" value="([^"]*)"', control).group(1)
    hidden = re.search(r'<input type="hidden" name="obligee"[^>]*>', control).group()
    return text, hidden


def test_a_resumed_draft_shows_its_obligee_with_the_acceptance_dates(client, alice, shibukawa):
    draft = ApplicationFactory(contractor=alice.contractor, created_by=alice, obligee=shibukawa)
    client.force_login(alice)
    html = client.get(reverse("applications:edit", args=[draft.pk])).content.decode()
    assert _shown(html) == (
        "渋川市(群馬県)",
        f'<input type="hidden" name="obligee" value="{shibukawa.pk}" data-obligee-id '
        'data-name="渋川市" data-e-advance="2022-05-09" data-e-contract="2022-05-09">',
    )


def test_the_form_shown_again_after_an_error_keeps_the_chosen_obligee(
    client, alice, form_data, takasaki
):
    client.force_login(alice)
    data = form_data(obligee=takasaki.pk, obligee_text="高崎市(群馬県)", works_name="")
    html = client.post(reverse("applications:new"), data).content.decode()
    assert "工事名" in html and Application.objects.count() == 0
    # 高崎市 accepts no e-guarantee: no dates for the notes.
    assert _shown(html) == (
        "高崎市(群馬県)",
        f'<input type="hidden" name="obligee" value="{takasaki.pk}" data-obligee-id '
        'data-name="高崎市">',
    )


@pytest.mark.parametrize("initial", ["instance", "pk"])
def test_a_copy_or_any_initial_obligee_is_shown_by_its_label(alice, shibukawa, initial):
    value = shibukawa if initial == "instance" else shibukawa.pk
    form = ApplicationForm(initial={"obligee": value}, today=timezone.localdate(), complete=False)
    html = str(form["obligee"])
    assert 'value="渋川市(群馬県)"' in html
    assert (
        f'name="obligee" value="{shibukawa.pk}"' in html and 'data-e-advance="2022-05-09"' in html
    )


@pytest.mark.parametrize(
    "posted_id", ["999999", "abc", "1.5", "-1", "99999999999999999999", "1\x00", "１"]
)
def test_an_unknown_obligee_id_is_a_field_error(client, alice, form_data, posted_id):
    client.force_login(alice)
    data = form_data(obligee=posted_id, obligee_text="渋川市(群馬県)", works_name="体育館改修工事")
    response = client.post(reverse("applications:new"), data)
    html = response.content.decode()

    assert response.status_code == 200
    message = "選択された発注者は登録されていません。もう一度選択してください。"
    assert re.search(rf'<a href="#id_obligee" class="alert-link">発注者</a>: {message}', html)
    assert 'aria-invalid="true"' in _obligee_control(html)
    # The typed name and everything else stay; the unknown id does not.
    assert _shown(html)[0] == "渋川市(群馬県)"
    assert 'name="obligee" value=""' in html
    assert 'value="体育館改修工事"' in html
    assert Application.objects.count() == 0


@pytest.mark.parametrize(
    "typed", ["渋川市", "渋川市(群馬県)", "渋川市（群馬県）", "しぶかわし", "ｼﾌﾞｶﾜｼ"]
)
def test_a_name_typed_without_choosing_is_resolved_on_the_server(
    client, alice, form_data, shibukawa, takasaki, typed
):
    """What a browser without the script sends: the name box and an empty id."""
    client.force_login(alice)
    response = client.post(reverse("applications:new"), form_data(obligee="", obligee_text=typed))
    assert response.status_code == 302
    assert Application.objects.get().obligee == shibukawa


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "渋川",
            "「渋川」だけでは発注者を1つに決められません。候補から選択するか、"
            "次のいずれかを入力してください: 渋川市(群馬県)",
        ),
        (
            "府中市",
            "「府中市」だけでは発注者を1つに決められません。候補から選択するか、"
            "次のいずれかを入力してください: 府中市(東京都)、府中市(広島県)",
        ),
        (
            "渋川村",
            "「渋川村」に該当する発注者が見つかりません。"
            "発注者名の一部を入力し、候補から選択してください。",
        ),
        ("渋" * 101, "発注者名は100文字以内で入力してください。"),
        ("渋川\x00", "発注者名に使用できない文字が含まれています。"),
    ],
)
def test_a_typed_name_that_is_not_one_obligee_is_a_field_error(
    client, alice, form_data, shibukawa, typed, message
):
    ObligeeFactory(code="132063", name="府中市", kana="フチュウシ", prefecture=13)
    ObligeeFactory(code="342076", name="府中市", kana="フチュウシ", prefecture=34)
    client.force_login(alice)
    for action in ("confirm", "draft"):
        data = form_data(obligee="", obligee_text=typed, action=action)
        html = client.post(reverse("applications:new"), data).content.decode()
        assert f'<a href="#id_obligee" class="alert-link">発注者</a>: {message}' in html
        # Nothing is sent; a draft is saved without the obligee that did not read.
        assert not Application.objects.filter(obligee__isnull=False).exists()
        assert Application.objects.count() == (0 if action == "confirm" else 1)
    if "\x00" not in typed:
        assert _shown(html)[0] == typed  # what was typed stays in the box


def test_an_emptied_obligee_box_saves_a_draft_without_obligee(client, alice, form_data):
    draft = ApplicationFactory(contractor=alice.contractor, created_by=alice)
    client.force_login(alice)
    data = form_data(obligee="", obligee_text="", action="draft", form_token=draft.form_token)
    response = client.post(reverse("applications:edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.obligee is None
