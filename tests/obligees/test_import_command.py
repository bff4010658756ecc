import io

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line

from obligees.models import Obligee


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_obligees", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_the_bundled_list_by_default_and_reports_in_japanese(db):
    out, err = _run()

    assert "obligees.csv を取り込みました: 新規 1,798 件、更新 0 件、変更なし 0 件" in out
    assert "1,798 / 1,798 件" in err
    assert Obligee.objects.count() == 1798

    out, _ = _run()
    assert "新規 0 件、更新 0 件、変更なし 1,798 件" in out


def test_it_imports_a_given_file(db, tmp_path):
    path = tmp_path / "hatchusha.csv"
    path.write_text("code,name,category\n102083,渋川市,市区町村\n", encoding="utf-8")

    out, _ = _run(str(path))

    assert "hatchusha.csv を取り込みました: 新規 1 件、更新 0 件、変更なし 0 件" in out
    assert Obligee.objects.get().name == "渋川市"


def test_it_lists_bad_rows_and_fails(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,category\n102083,渋川市,municipality\n102084,渋川市,municipality\n,,municipality\n",
        encoding="utf-8",
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="2件の誤りがあるため、取り込みませんでした。"):
        call_command("import_obligees", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "3行目: 団体コード「102084」の検査数字(6桁目)が正しくありません。",
        "4行目: 発注者名を入力してください。",
    ]
    assert not Obligee.objects.exists()


def test_it_fails_on_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="ファイルが見つかりません"):
        call_command("import_obligees", str(tmp_path / "none.csv"))


def test_it_exits_non_zero_from_the_command_line(db, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,category\n102084,渋川市,municipality\n", encoding="utf-8")

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_obligees", str(path)])

    assert exited.value.code == 1
    assert (
        "2行目: 団体コード「102084」の検査数字(6桁目)が正しくありません。"
        in capsys.readouterr().err
    )
