"""Playwright against pytest-django's live server, with Debian's Chromium (no `playwright install`).

Every test here is transactional (live_server): the database is emptied after each test.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from obligees.models import Obligee
from obligees.services import BUNDLED_CSV, obligees_import_csv
from tests.accounts.otp import authenticator_for, current_code
from tests.factories import PASSWORD, BranchFactory, ContractorFactory, UserFactory

# The machine has no internet and no GPU; these keep Chromium quiet and quick (NOTES.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Browser context options per form factor; tests choose one with
# @pytest.mark.parametrize("form_factor", [...]) (the default is "desktop").
FORM_FACTORS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    # The office screen the pages are laid out for (a 1366×768 notebook).
    "wide": {"viewport": {"width": 1366, "height": 768}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

SHIBUKAWA_CODE = "102083"  # 渋川市 (群馬県) in the bundled registry


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def _plain_http():
    """The live server speaks plain HTTP. SecurityMiddleware reads SECURE_SSL_REDIRECT once, when
    the server's handler is built (before any test's `settings` fixture runs), so it has to be
    off before the live server starts."""
    with override_settings(SECURE_SSL_REDIRECT=False, SECURE_HSTS_SECONDS=0):
        yield


@pytest.fixture(scope="session")
def live_server(_plain_http, live_server):
    return live_server


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    # Replaces pytest-playwright's own `base_url` fixture, which pytest 9 rejects (a session
    # fixture defined as an instance method) under this project's filterwarnings = error.
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP"}


@pytest.fixture(autouse=True)
def _timeouts():
    # Fail within seconds rather than Playwright's 30 s defaults: the live server is local.
    expect.set_options(timeout=10_000)


# Turns every Content-Security-Policy violation into a console error the test can see (Chromium
# reports most of them itself, but not all, e.g. those in report-only mode or from workers).
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) =>
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile || document.location.href}:${event.lineNumber}`));"""


ANSWERED_4XX = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@pytest.fixture(autouse=True)
def browser_errors():
    """Console errors, CSP violations and uncaught script errors of every page of the test; the
    test fails if there are any (see `new_context`)."""
    errors: list[str] = []
    yield errors
    assert errors == [], "the browser reported errors:\n" + "\n".join(errors)


@pytest.fixture
def new_context(new_context, browser_errors):
    """pytest-playwright's `new_context`, each context reporting its pages' errors."""

    def on_console(message):
        # A 4xx answer is the server's decision (a refused estimate, an unknown token);
        # the tests judge it by what the page shows. Server errors still count.
        # Chromium reports a malformed policy header only as a warning.
        policy_warning = message.type == "warning" and "Policy" in message.text
        if (message.type == "error" and not ANSWERED_4XX.match(message.text)) or policy_warning:
            browser_errors.append(f"{message.location.get('url')}: {message.text}")

    def make(**kwargs):
        context = new_context(**kwargs)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", on_console)
        context.on("weberror", lambda error: browser_errors.append(f"script error: {error.error}"))
        return context

    return make


@pytest.fixture
def form_factor() -> str:
    return "desktop"


@pytest.fixture
def context(new_context, form_factor):
    """pytest-playwright's `context`, sized for the form factor the test asks for."""
    context = new_context(**FORM_FACTORS[form_factor])
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def screenshot_dir(pytestconfig) -> Path:
    """test-results/screenshots (git-ignored; pytest-playwright empties test-results/ on start)."""
    path = pytestconfig.rootpath / "test-results" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def branch(transactional_db):
    return BranchFactory(code="B01", name="前橋支店")


@pytest.fixture
def contractor_user(transactional_db, branch):
    """A contractor user whose company is served by `branch` (the form's default 申込送信先)."""
    contractor = ContractorFactory(name="〇〇建設 株式会社", home_branch=branch)
    return UserFactory(email="alice@example.jp", full_name="山田 太郎", contractor=contractor)


@pytest.fixture
def shibukawa(transactional_db) -> Obligee:
    """The real registry (~1,800 obligees), with 渋川市 accepting electronic guarantees."""
    obligees_import_csv(BUNDLED_CSV)
    obligee = Obligee.objects.get(code=SHIBUKAWA_CODE)
    obligee.e_advance_since = datetime.date(2022, 5, 9)
    obligee.e_contract_since = datetime.date(2022, 5, 9)
    obligee.save()
    return obligee


def sign_in(page: Page, user) -> None:
    """Sign in through the real login page and land on the dashboard (申込一覧)."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="申込一覧")).to_be_visible()


def admin_sign_in(page: Page, user) -> None:
    """Sign staff in to the admin with password and authenticator code; lands on 業務メニュー."""
    page.goto("/admin/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_otp_token").fill(current_code(authenticator_for(user)))
    page.locator("input[type=submit]").click()
    expect(page.get_by_role("heading", name="業務メニュー")).to_be_visible()


@pytest.fixture
def signed_in_page(page: Page, live_server, contractor_user) -> Page:
    """A page signed in as `contractor_user`, on the dashboard."""
    sign_in(page, contractor_user)
    return page
