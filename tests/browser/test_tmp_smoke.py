import pytest

pytestmark = pytest.mark.browser

def test_login(signed_in_page, shibukawa):
    page = signed_in_page
    page.get_by_role("link", name="申込の作成(新規)").click()
    print(page.url, page.locator("#id_obligee option").count())
    print(page.context.cookies())
