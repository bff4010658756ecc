"""How people type an obligee's name, and the registry name each way must find.

Shared by the public list's search and the application form's type-ahead, which fold what is
typed the same way.
"""

TYPED_NAMES = [
    ("渋川", "渋川市"),
    ("しぶかわ", "渋川市"),  # hiragana matches the katakana フリガナ
    ("シブカワ", "渋川市"),
    ("ｼﾌﾞｶﾜ", "渋川市"),  # half-width katakana
    (" しぶ　かわ ", "渋川市"),  # spaces, half- or full-width, are ignored
    ("さいたま", "さいたま市"),  # a name written in hiragana
    ("国土交通省関東", "国土交通省 関東地方整備局"),  # the stored name has a space
    ("かんとうちほう", "国土交通省 関東地方整備局"),
]
