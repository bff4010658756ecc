"""The forms of the admin's text actions on an application: 差戻し, お客様へのお知らせ, 社内メモ.

Each names its page, its button, its outcome and the service it calls. The forms of the actions
on a guarantee (変更, 解約) are in guarantees/forms.py.
"""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from applications import services
from core.text import reject_bidi_controls


def _staff_text_field(label, help_text):
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=services.STAFF_TEXT_MAX_LENGTH,
        validators=[reject_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
    )


class TokenForm(forms.Form):
    # A double click posts the same token twice; the service records the text once.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class CustomerMessageForm(TokenForm):
    title = _("お客様へお知らせを送る")
    submit = _("お客様へ送る")
    success = _("申込 %(number)s のお客様へお知らせを送りました。")
    message = _staff_text_field(
        _("お客様へのお知らせ"),
        _("お客様の画面の「弊社からお客様へのお知らせ」に表示されます。"),
    )

    def run(self, *, application_id, user):
        data = self.cleaned_data
        return services.application_post_message(
            application_id=application_id, user=user, message=data["message"], token=data["token"]
        )


class NoteForm(TokenForm):
    title = _("社内メモを書く(お客様には表示されません)")
    submit = _("社内メモを記録する")
    success = _("申込 %(number)s に社内メモを記録しました(お客様には表示されません)。")
    note = _staff_text_field(
        _("社内メモ"),
        _("社内だけの記録です。お客様には表示されず、手続の経過に残ります。"),
    )

    def run(self, *, application_id, user):
        data = self.cleaned_data
        return services.application_add_note(
            application_id=application_id, user=user, note=data["note"], token=data["token"]
        )


class ReturnForm(forms.Form):
    title = _("差戻し")
    submit = _("差し戻す")
    success = _("申込 %(number)s を差し戻しました。")
    message = _staff_text_field(
        _("差戻しの理由(お客様へのお知らせ)"),
        _("お客様の画面の「弊社からお客様へのお知らせ」に表示され、メールでもお知らせします。"),
    )

    def run(self, *, application_id, user):
        return services.application_return(
            application_id=application_id, user=user, message=self.cleaned_data["message"]
        )
