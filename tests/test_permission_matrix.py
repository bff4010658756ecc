"""The permission matrix: every URL of the project, for every persona, answers as a portal must.

One world is built: contractor A's application, sent to branch 1 for obligee X, whose electronic
advance-payment guarantee is approved, issued (signed, with its 認証キー) and received by X. Every
URL the resolver knows (the admin's included) is then asked by each of eight personas with the
ids of those objects, one test per URL, and its answer compared with the table below; then by
the role personas (ROLE_PERSONAS: A's 申込担当 and 閲覧のみ, X's 担当者), whose answers follow their
organisation's column except where ROLE_EXCEPTIONS says otherwise:

    OK     200
    LOGIN  302 to a sign-in page (/accounts/login/ or /admin/login/)
    ADMIN  302 to the admin's index: staff on a contractor page, or an admin object the staff
           member's list leaves out ("does not exist", as Django's admin says of any unknown id)
    GO     302 anywhere else (the page that fits the object's state, the user's own home)
    DENY   403: a page of another persona kind
    HIDE   404: another company's or obligee's object, or a page that tells outsiders nothing

A URL the resolver finds and the table does not name fails, and so does an entry of the table
that names no URL any more: a new view is classified when it is added.
"""

import dataclasses
import datetime
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from applications import services as application_services
from applications.models import Application
from fees.models import FeeTable
from guarantees import issuance, keys, receiving
from guarantees import services as guarantee_services
from guarantees.models import RenewalRun
from members.services import invite
from notifications.models import OutboxMessage
from registrations import services as registration_services
from tests.accounts.otp import authenticator_for, backup_codes_for, login_verified_staff
from tests.factories import (
    ApplicationFactory,
    BranchFactory,
    ContractorFactory,
    ElectronicObligeeFactory,
    GuaranteeFactory,
    UserFactory,
)

PERSONAS = [
    "anonymous",
    "contractor_a",
    "contractor_b",
    "obligee_x",
    "obligee_y",
    "staff_1",
    "staff_2",
    "head_office",
]
STAFF = ["staff_1", "staff_2", "head_office"]

OK, LOGIN, ADMIN, GO, DENY, HIDE = "200", "login", "admin", "302", "403", "404"


@dataclasses.dataclass(frozen=True)
class Case:
    """How one URL is asked and what each persona gets (in PERSONAS order).

    `kwargs` names, for each argument of the URL, the attribute of the world that fills it;
    `data` is sent along (the query string of a GET, the body of a POST), as a dict or as the
    name of the world's attribute holding it. `bearer`: the page shows what a certificate prints
    to whoever holds its token or its PDF, so outsiders may read A's works there."""

    expect: tuple[str, ...]
    method: str = "get"
    kwargs: dict = dataclasses.field(default_factory=dict)
    data: dict | str = dataclasses.field(default_factory=dict)
    content_type: str | None = None
    bearer: bool = False

    def __post_init__(self):
        assert len(self.expect) == len(PERSONAS), self
        assert set(self.expect) <= {OK, LOGIN, ADMIN, GO, DENY, HIDE}, self


def get(*expect, data=None, content_type=None, bearer=False, **kwargs) -> Case:
    return Case(expect, "get", kwargs, data or {}, content_type, bearer)


def post(*expect, data=None, content_type=None, bearer=False, **kwargs) -> Case:
    """A view that answers only POST: asked with a POST (the test client skips the CSRF check)."""
    return Case(expect, "post", kwargs, data or {}, content_type, bearer)


# The branch's processing pages of one application (差戻し, お知らせ, 承諾, 発行 …): branch 1 staff
# and head office process it, branch 2 staff get the 404 of an application they cannot see. A new
# page of the kind is one more line: `"admin:…": get(*PROCESS, **ON_GUARANTEE),`.
PROCESS = (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK, HIDE, OK)
ON_APPLICATION = {"pk": "application"}
ON_GUARANTEE = {"pk": "application", "guarantee_pk": "guarantee"}

# fmt: off
URLS = {
    # name                                 anon   A      B      X      Y      staff1 staff2 HQ
    # The contractor's pages: A's own, B's 404, obligees refused, staff sent to the admin.
    "applications:dashboard":        get(LOGIN, OK,    OK,    GO,    GO,    ADMIN, ADMIN, ADMIN),
    "applications:new":              get(LOGIN, OK,    OK,    DENY,  DENY,  ADMIN, ADMIN, ADMIN),
    "applications:detail":           get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    # Completed (its guarantee issued): the form and the summary lead to the application's page;
    # sending, withdrawing and deleting are refused there with a message.
    "applications:edit":             get(LOGIN, GO,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:confirm":          get(LOGIN, GO,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:submit":          post(LOGIN, GO,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:sent":             get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:copy":             get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:print":            get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:withdraw":        post(LOGIN, GO,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "applications:delete":          post(LOGIN, GO,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="application"),
    "guarantees:certificate_pdf":    get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="certificate"),
    "guarantees:certificate_key":    get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="certificate"),
    # Without the pass of the page that showed the key: back to that page.
    "guarantees:certificate_key_notice":
                                    post(LOGIN, GO,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="certificate"),
    "guarantees:fee_statements":     get(LOGIN, OK,    OK,    DENY,  DENY,  ADMIN, ADMIN, ADMIN),
    "guarantees:fee_statement_pdf":  get(LOGIN, OK,    HIDE,  DENY,  DENY,  ADMIN, ADMIN, ADMIN, pk="guarantee"),
    # The form's scripts: JSON answers (the type-ahead's also to a signed-out page, for its script).
    "fees:estimate":                 get(LOGIN, OK,    OK,    DENY,  DENY,  DENY,  DENY,  DENY,  data="estimate_query"),
    "obligees:search":               get(DENY,  OK,    OK,    DENY,  DENY,  DENY,  DENY,  DENY,  data={"q": "渋川"}),

    # The obligee's pages. The certificate addresses (and the CSV) answer 404 to anyone but an
    # obligee user, so that they tell nobody else what exists; Y gets the 404 of X's certificate.
    "obligee_portal:home":           get(LOGIN, DENY,  DENY,  OK,    OK,    DENY,  DENY,  DENY),
    "obligee_portal:received_csv":   get(LOGIN, HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  HIDE),
    "obligee_portal:certificate":    get(LOGIN, HIDE,  HIDE,  OK,    HIDE,  HIDE,  HIDE,  HIDE,  pk="certificate"),
    "obligee_portal:certificate_pdf": get(LOGIN, HIDE,  HIDE,  OK,    HIDE,  HIDE,  HIDE,  HIDE,  pk="certificate"),
    # The QR code's page: signed out, a page that keeps the fragment and links to sign-in.
    "obligee_portal:receive":        get(OK,    DENY,  DENY,  OK,    OK,    DENY,  DENY,  DENY),
    # No file chosen: back to the list, which says so.
    "obligee_portal:receive_notices": post(LOGIN, DENY,  DENY,  GO,    GO,    DENY,  DENY,  DENY),

    # 利用者管理: the organisation's 管理者 (A, B, X and Y are each their organisation's); staff are
    # sent to the admin. Another organisation's person or invitation is a 404.
    "members:people":                get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "members:timeline":              get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    # Nothing posted: the page again, with the form's errors.
    "members:invite":               post(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "members:invitation_resend":    post(LOGIN, GO,    HIDE,  HIDE,  HIDE,  ADMIN, ADMIN, ADMIN, pk="invitation"),
    "members:invitation_revoke":    post(LOGIN, GO,    HIDE,  HIDE,  HIDE,  ADMIN, ADMIN, ADMIN, pk="invitation"),
    "members:person":                get(LOGIN, OK,    HIDE,  HIDE,  HIDE,  ADMIN, ADMIN, ADMIN, pk="contractor_a_colleague"),
    "members:person_role":          post(LOGIN, GO,    HIDE,  HIDE,  HIDE,  ADMIN, ADMIN, ADMIN, pk="contractor_a_colleague"),
    "members:person_deactivate":    post(LOGIN, GO,    HIDE,  HIDE,  HIDE,  ADMIN, ADMIN, ADMIN, pk="contractor_a_colleague"),
    "members:person_reactivate":    post(LOGIN, GO,    HIDE,  HIDE,  HIDE,  ADMIN, ADMIN, ADMIN, pk="contractor_a_colleague"),
    # アカウント設定: every contractor and obligee user's own (each sees only their own account,
    # so no id is ever asked); staff keep theirs in the admin. With nothing posted, the forms
    # answer with their errors; the organisation's requirement, unchanged, leads back.
    "account:home":                  get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:password":              get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:email":                 get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:second_factor":         get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:second_factor_enrol":   get(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:backup_codes":         post(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:second_factor_off":    post(LOGIN, OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    "account:organisation_second_factor":
                                    post(LOGIN, GO,    GO,    GO,    GO,    ADMIN, ADMIN, ADMIN),
    # The address change's link (any token: it is only kept in the session) and its page, which
    # without a valid link says so to anyone; the sign-in's code step, with no password step
    # behind it, goes back to the sign-in.
    "account:email_confirm_link":    get(GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    token="invitation_token"),
    "account:email_confirm":         get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "accounts:login_code":           get(LOGIN, GO,    GO,    GO,    GO,    GO,    GO,    GO),
    # The invitation's link: on to the form without the token in the address; the form, with no
    # invitation in the session, says that the link is not valid (to anyone: it tells nothing).
    "members:accept_link":           get(GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    token="invitation_token"),
    "members:accept":                get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),

    # 利用申込: public. The confirmation link goes on to its page without the token in the
    # address; that page, with no link in the session, says that the link is not valid.
    "registrations:apply":           get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "registrations:sent":            get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "registrations:confirm_link":    get(GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    token="registration_token"),
    "registrations:confirm":         get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),

    # Public pages. The verification page and API show what the certificate prints to whoever
    # holds its token or its PDF.
    "applications:help":             get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "applications:help_obligee":     get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "obligees:list":                 get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "guarantees:verify_upload":      get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "guarantees:certificate_verify": get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    token="verify_token", bearer=True),
    "guarantees:api_verify":        post(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    data="certificate_pdf", content_type="application/pdf", bearer=True),
    "healthz":                       get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "favicon":                       get(GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO),
    # Reads a typed date for the date inputs' 和暦 (form, obligee search, admin): looks nothing up.
    "date_reading":                  get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    data={"text": "R8.12.1"}),
    "set_language":                 post(GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    data={"language": "en"}),

    # Signing in and out; a signed-in user asking for the sign-in page goes home.
    "accounts:login":                get(OK,    GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "accounts:logout":              post(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "accounts:password_reset":       get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "accounts:password_reset_done":  get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # A valid link: on to the new-password form (the token leaves the address).
    "accounts:password_reset_confirm":
                                     get(GO,    GO,    GO,    GO,    GO,    GO,    GO,    GO,    uidb64="reset_uid", token="reset_token"),
    "accounts:password_reset_complete":
                                     get(OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),

    # The admin: staff verified by a second factor only; everyone else is sent to its sign-in.
    "admin:index":                   get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    OK),
    "admin:login":                   get(OK,    OK,    OK,    OK,    OK,    ADMIN, ADMIN, ADMIN),
    # Signed out (staff); the others were never in, and are sent to the admin's index.
    "admin:logout":                 post(ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, LOGIN, LOGIN, LOGIN),
    "admin:password_change":         get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    OK),
    "admin:password_change_done":    get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    OK),
    "admin:jsi18n":                  get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    OK),
    "admin:app_list":                get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    OK,    app_label="app_label"),
    # The user form's 請負者 box: for whoever may see contractors (head office).
    "admin:autocomplete":            get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, DENY,  DENY,  OK,    data="contractor_autocomplete"),
    # No model has a public page of its own.
    "admin:view_on_site":            get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, HIDE,  HIDE,  HIDE,  content_type_id="application_type", object_id="application"),
    "admin/(?P<url>.*)$":            get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, HIDE,  HIDE,  HIDE,  url="unknown_admin_path"),
    # Head office looks after contractor accounts, their passwords included.
    "admin:auth_user_password_change":
                                     get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, DENY,  DENY,  OK,    id="contractor_a_user"),
    # An authenticator's secret (its key, its QR code) is for superusers only.
    "admin:otp_totp_totpdevice_config":
                                     get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, DENY,  DENY,  DENY,  pk="staff_1_authenticator"),
    "admin:otp_totp_totpdevice_qrcode":
                                     get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, DENY,  DENY,  DENY,  pk="staff_1_authenticator"),
    # 受付 answers a GET with the application's page (it acts on POST only).
    "admin:applications_application_accept":           get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, GO, HIDE, GO, **ON_APPLICATION),
    "admin:applications_application_return":           get(*PROCESS, **ON_APPLICATION),
    "admin:applications_application_message":          get(*PROCESS, **ON_APPLICATION),
    "admin:applications_application_note":             get(*PROCESS, **ON_APPLICATION),
    "admin:applications_application_approve":          get(*PROCESS, **ON_GUARANTEE),
    "admin:applications_application_issue":            get(*PROCESS, **ON_GUARANTEE),
    "admin:applications_application_issue_retry":      get(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, GO, HIDE, GO, **ON_GUARANTEE),
    "admin:applications_application_amend":            get(*PROCESS, **ON_GUARANTEE),
    "admin:applications_application_cancel":           get(*PROCESS, **ON_GUARANTEE),
    "admin:applications_application_handover":         get(*PROCESS, **ON_GUARANTEE),
    "admin:applications_application_fee_statement_pdf": get(*PROCESS, **ON_GUARANTEE),
    "admin:applications_application_certificate_pdf":  get(*PROCESS, pk="application", certificate_pk="certificate"),
    # 利用申込 sent to branch 1 (confirmed): its staff and head office decide.
    "admin:registrations_registration_approve":        get(*PROCESS, pk="registration"),
    "admin:registrations_registration_refuse":         get(*PROCESS, pk="registration"),
}
# fmt: on


@dataclasses.dataclass(frozen=True)
class AdminModel:
    """What the three staff personas may do with one model in the admin, as letters: v(iew),
    a(dd), c(hange), d(elete), after both the groups' permissions and the ModelAdmin's own rules.
    `obj` names the world's object the model's object URLs are asked with; `out_of_reach` lists
    the staff personas whose admin list leaves that object out (another branch's application).

    Every admin URL of the model follows from it: the list, add, change, history and delete
    pages, and the bare object address that redirects to the change page. Personas that are not
    staff are sent to the admin's sign-in page."""

    obj: str
    staff_1: str = ""
    staff_2: str = ""
    head_office: str = ""
    out_of_reach: tuple[str, ...] = ()

    ACTIONS = ("changelist", "add", "change", "history", "delete")

    def expect(self, action: str) -> tuple[str, ...]:
        return tuple(
            LOGIN if persona not in STAFF else self._staff(action, persona) for persona in PERSONAS
        )

    def _staff(self, action: str, persona: str) -> str:
        may = getattr(self, persona)
        sees = "v" in may or "c" in may
        missing = persona in self.out_of_reach
        if action == "object":
            return GO  # the redirect to .../change/, before any lookup or check
        if action == "changelist":
            return OK if sees else DENY
        if action == "add":
            return OK if "a" in may else DENY
        if action == "history":  # Django's history view looks the object up before the check
            return ADMIN if missing else (OK if sees else DENY)
        allowed = sees if action == "change" else "d" in may  # both checked before the lookup
        if not allowed:
            return DENY
        return ADMIN if missing else OK


# fmt: off
ADMIN_MODELS = {
    #                                          the object            staff 1  staff 2  head office
    # Branch processing: every staff member sees the applications sent to their branch (head
    # office every branch's); what the contractor sent is never edited, added or deleted here.
    ("applications", "application"):   AdminModel("application",          "v",     "v",     "v",
                                                  out_of_reach=("staff_2",)),
    ("obligees", "obligee"):           AdminModel("obligee_x",            "v",     "v",     "vac"),
    ("fees", "feetable"):              AdminModel("fee_table",            "v",     "v",     "vacd"),
    # Accounts: head office looks after contractor and obligee accounts and the branches.
    ("accounts", "user"):              AdminModel("contractor_a_user",    "",      "",      "vac"),
    ("accounts", "contractor"):        AdminModel("contractor_a_company", "",      "",      "vac"),
    ("accounts", "branch"):            AdminModel("branch_1",             "",      "",      "vac"),
    # Groups and permissions are for superusers only.
    ("auth", "group"):                 AdminModel("branch_staff_group",   "",      "",      ""),
    # Head office sees who has which second factor (the secrets are for superusers).
    ("otp_totp", "totpdevice"):        AdminModel("staff_1_authenticator", "",     "",      "v"),
    ("otp_static", "staticdevice"):    AdminModel("staff_1_backup_codes", "",      "",      "v"),
    # ログイン制限: head office unlocks an address by deleting its failure record; the logs are
    # for superusers. Only failed sign-ins add rows, never the admin.
    ("axes", "accessattempt"):         AdminModel("access_attempt",       "",      "",      "vd"),
    ("axes", "accesslog"):             AdminModel("access_log",           "",      "",      ""),
    ("axes", "accessfailurelog"):      AdminModel("access_failure",       "",      "",      ""),
    # 招待: head office invites an obligee's or a company's first 管理者 (re-send and revoke are
    # actions of the list; nothing is edited or deleted).
    ("members", "invitation"):          AdminModel("invitation",          "",      "",      "vac"),
    # 利用申込: the branch's staff see their branch's and decide (change: 承認, お断り; nothing
    # is edited, added or deleted); head office every branch's.
    ("registrations", "registration"):  AdminModel("registration",        "vc",    "vc",    "vc",
                                                   out_of_reach=("staff_2",)),
    # 通知メール: every branch's customers, so head office only, read-only (再送信 is an action).
    ("notifications", "outboxmessage"): AdminModel("outbox_message",      "",      "",      "v"),
    # タイムスタンプ更新の実行: every branch's certificates, so head office only, read-only.
    ("guarantees", "renewalrun"):      AdminModel("renewal_run",          "",      "",      "v"),
}
# fmt: on


# The roles (accounts.roles). A's 申込担当 and 閲覧のみ and X's 担当者 get what their organisation's
# persona in the table gets (A and X are 管理者), except where listed: 閲覧のみ sees applications
# but neither creates, edits, sends, copies, withdraws nor deletes one, nor shows a key or makes
# its handover notice; only a 管理者 manages people.
ROLE_PERSONAS = {
    "contractor_a_applicant": "contractor_a",
    "contractor_a_viewer": "contractor_a",
    "obligee_x_clerk": "obligee_x",
}
NOT_VIEWER = {"contractor_a_viewer": DENY}
ADMIN_ONLY = {"contractor_a_applicant": DENY, "contractor_a_viewer": DENY, "obligee_x_clerk": DENY}
ROLE_EXCEPTIONS = {
    "applications:new": NOT_VIEWER,
    "applications:edit": NOT_VIEWER,
    "applications:confirm": NOT_VIEWER,
    "applications:submit": NOT_VIEWER,
    "applications:copy": NOT_VIEWER,
    "applications:withdraw": NOT_VIEWER,
    "applications:delete": NOT_VIEWER,
    "guarantees:certificate_key": NOT_VIEWER,
    "guarantees:certificate_key_notice": NOT_VIEWER,
    "members:people": ADMIN_ONLY,
    "members:timeline": ADMIN_ONLY,
    "members:invite": ADMIN_ONLY,
    "members:invitation_resend": ADMIN_ONLY,
    "members:invitation_revoke": ADMIN_ONLY,
    "members:person": ADMIN_ONLY,
    "members:person_role": ADMIN_ONLY,
    "members:person_deactivate": ADMIN_ONLY,
    "members:person_reactivate": ADMIN_ONLY,
    "account:organisation_second_factor": ADMIN_ONLY,
}


def admin_cases() -> dict[str, Case]:
    """The Case of every admin URL ADMIN_MODELS describes, keyed as the resolver lists them."""
    cases = {}
    for (app_label, model), access in ADMIN_MODELS.items():
        prefix = f"admin:{app_label}_{model}"
        for action in AdminModel.ACTIONS:
            kwargs = {} if action in ("changelist", "add") else {"object_id": access.obj}
            cases[f"{prefix}_{action}"] = Case(access.expect(action), kwargs=kwargs)
        cases[f"admin/{app_label}/{model}/<path:object_id>/"] = Case(
            access.expect("object"), kwargs={"object_id": access.obj}
        )
    return cases


def project_urls() -> dict[str, str]:
    """{key: route} of every URL pattern, walking the resolver: a pattern's key is its namespaced
    name, or its route when it has none (the admin's bare object addresses, its catch-all)."""
    found = {}

    def walk(resolver, prefix: str, namespace: str | None):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                walk(
                    pattern,
                    route,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                )
            elif isinstance(pattern, URLPattern):
                key = (
                    f"{namespace}:{pattern.name}"
                    if namespace and pattern.name
                    else pattern.name or route
                )
                assert key not in found, f"two URL patterns named {key}"
                found[key] = route

    walk(get_resolver(), "", None)
    return found


def all_cases() -> dict[str, Case]:
    overlap = URLS.keys() & admin_cases().keys()
    assert not overlap, f"classified twice: {sorted(overlap)}"
    return {**URLS, **admin_cases()}


_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(route: str, values: dict) -> str:
    """The path of `route` with its arguments replaced by `values`."""
    path = _ARGUMENT.sub(lambda m: str(values[m[1] or m[2]]), route)
    return "/" + path.replace("^", "").replace("$", "")


def test_every_url_is_classified():
    urls, cases = project_urls(), all_cases()
    unclassified = [f"unclassified URL: {key} ({urls[key]})" for key in urls if key not in cases]
    stale = [f"classified URL that no longer exists: {key}" for key in cases if key not in urls]
    assert not unclassified + stale, "\n".join(unclassified + stale)


# --- The world --------------------------------------------------------------------------------

WORKS_NAME = "市道マトリクス線道路改良工事"


def build_world(capture_on_commit) -> SimpleNamespace:
    """The personas, and A's application through 受付, 承諾, 発行 and X's 受領, made by the same
    services staff and obligees use; the attributes are what the URLs are filled with."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from fees.demo import load_demo_fee_tables

    groups = ensure_staff_groups()
    branch_1 = BranchFactory(code="GM", name="群馬支店")
    branch_2 = BranchFactory(code="TG", name="栃木支店")
    obligee_x = ElectronicObligeeFactory(code="102083", name="渋川市", kana="シブカワシ")
    obligee_y = ElectronicObligeeFactory(code="102016", name="前橋市", kana="マエバシシ")
    company_a = ContractorFactory(name="〇〇建設 株式会社", home_branch=branch_1)
    people = SimpleNamespace(
        contractor_a=UserFactory(contractor=company_a),
        contractor_b=UserFactory(contractor=ContractorFactory(name="△△工業 株式会社")),
        obligee_x=UserFactory(contractor=None, obligee=obligee_x),
        obligee_y=UserFactory(contractor=None, obligee=obligee_y),
        staff_1=UserFactory(contractor=None, is_staff=True, branch=branch_1),
        staff_2=UserFactory(contractor=None, is_staff=True, branch=branch_2),
        contractor_a_applicant=UserFactory(contractor=company_a, role="applicant"),
        contractor_a_viewer=UserFactory(contractor=company_a, role="viewer"),
        obligee_x_clerk=UserFactory(contractor=None, obligee=obligee_x, role="clerk"),
        head_office=UserFactory(
            contractor=None, is_staff=True, branch=BranchFactory(code="HQ", name="本店営業部")
        ),
    )
    for persona, group in [
        ("staff_1", BRANCH_STAFF),
        ("staff_2", BRANCH_STAFF),
        ("head_office", HEAD_OFFICE),
    ]:
        getattr(people, persona).groups.add(groups[group])
    load_demo_fee_tables()

    contractor_a, staff_1 = people.contractor_a, people.staff_1
    application = ApplicationFactory(
        contractor=company_a,
        created_by=contractor_a,
        branch=branch_1,
        obligee=obligee_x,
        works_name=WORKS_NAME,
        status=Application.Status.SENT,
        notify_email="soumu@example.jp",
    )
    guarantee = GuaranteeFactory(
        application=application, kind="advance", certificate_format="electronic"
    )
    application_services.application_accept(application_id=application.pk, user=staff_1)
    guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff_1)
    with capture_on_commit(execute=True):
        issuance.issue_request(guarantee_id=guarantee.pk, user=staff_1)
    guarantee.refresh_from_db()
    certificate = guarantee.certificates.get()
    receiving.certificate_receive(
        user=people.obligee_x,
        number=guarantee.number,
        key=keys.display_key(keys.decrypt_key(certificate.key_encrypted)),
        ip="192.0.2.10",
    )
    with certificate.pdf.open("rb") as stored:
        certificate_pdf = stored.read()
    # A password-reset link of A's company. Not A's own: each sign-in of the matrix changes A's
    # last login, which ends every link made before it.
    resetting = UserFactory(contractor=company_a)
    colleague = UserFactory(contractor=company_a, role="viewer")
    invitation = invite(
        email="invitee@example.jp", role="viewer", contractor=company_a, invited_by=contractor_a
    )
    registration = registration_services.registration_submit(
        data={
            "company_name": "◇◇土木 株式会社",
            "company_kana": "ヒシヒシドボク",
            "corporate_number": "7000012050002",
            "permit_authority": "minister",
            "permit_prefecture": "",
            "permit_kind": "general",
            "permit_number": 1,
            "address": "群馬県渋川市",
            "representative": "菱田 一郎",
            "branch": branch_1,
            "applicant_name": "菱田 次郎",
            "applicant_department": "",
            "applicant_phone": "0279-22-2111",
            "applicant_email": "registrant@example.jp",
        }
    )
    registration_services.registration_confirm(token=registration.token)
    attempt = {"username": contractor_a.email, "ip_address": "192.0.2.20", "user_agent": "test"}
    today = timezone.localdate()
    return SimpleNamespace(
        people=people,
        devices={persona: authenticator_for(getattr(people, persona)) for persona in STAFF},
        # What only those who may see A's application read: never in a page an outsider gets.
        secrets=[WORKS_NAME, guarantee.number, application.number],
        application=application.pk,
        guarantee=guarantee.pk,
        certificate=certificate.pk,
        certificate_pdf=certificate_pdf,
        verify_token=certificate.verify_token,
        contractor_a_user=contractor_a.pk,
        contractor_a_colleague=colleague.pk,
        invitation=invitation.pk,
        invitation_token=invitation.token,
        registration=registration.pk,
        registration_token=registration.token,
        contractor_a_company=company_a.pk,
        branch_1=branch_1.pk,
        obligee_x=obligee_x.pk,
        fee_table=FeeTable.objects.order_by("pk").first().pk,
        outbox_message=OutboxMessage.objects.filter(recipient=contractor_a.email).first().pk,
        renewal_run=RenewalRun.objects.create(started_at=timezone.now(), margin_days=180).pk,
        branch_staff_group=groups[BRANCH_STAFF].pk,
        staff_1_authenticator=authenticator_for(staff_1).pk,
        staff_1_backup_codes=backup_codes_for(staff_1, ["k7q2m4xz"]).pk,
        access_attempt=AccessAttempt.objects.create(
            **attempt, get_data="", post_data="", failures_since_start=1
        ).pk,
        access_log=AccessLog.objects.create(**attempt).pk,
        access_failure=AccessFailureLog.objects.create(**attempt).pk,
        application_type=ContentType.objects.get_for_model(Application).pk,
        reset_uid=urlsafe_base64_encode(force_bytes(resetting.pk)),
        reset_token=default_token_generator.make_token(resetting),
        app_label="applications",
        unknown_admin_path="no-such-page/",
        estimate_query={
            "kind": "advance",
            "amount": "20,000,000",
            "contract_date": (today + datetime.timedelta(days=10)).isoformat(),
            "period_end": (today + datetime.timedelta(days=129)).isoformat(),
        },
        contractor_autocomplete={
            "app_label": "accounts",
            "model_name": "user",
            "field_name": "contractor",
            "term": "",
        },
    )


OUTSIDERS = ["anonymous", "contractor_b", "obligee_y", "staff_2"]


def signed_in(world, persona: str) -> Client:
    client = Client()
    if persona in STAFF:
        login_verified_staff(client, getattr(world.people, persona), world.devices[persona])
    elif persona != "anonymous":
        client.force_login(getattr(world.people, persona))
    return client


def answer(response) -> str:
    """What a persona got, in the table's words."""
    if response.status_code in (301, 302):
        target = response["Location"]
        if target.startswith(("/accounts/login/", "/admin/login/")):
            return LOGIN
        return ADMIN if target == "/admin/" else GO
    return str(response.status_code)


def body(response) -> str:
    """The text of a response; a download read to its end, which also closes its file."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def ask(client, case: Case, path: str, world):
    data = getattr(world, case.data) if isinstance(case.data, str) else case.data
    extra = {"content_type": case.content_type} if case.content_type else {}
    return getattr(client, case.method)(path, data, **extra)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, _media_dir):
    """The world, built once for the module inside a transaction that is rolled back after its
    last test; each test runs in a savepoint within it, so no test sees another's changes (a
    sign-out, a rate limit's count, a device's last code)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=_media_dir,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        translation.override(settings.LANGUAGE_CODE),
        transaction.atomic(),
    ):
        built = build_world(TestCase.captureOnCommitCallbacks)
        yield built
        transaction.set_rollback(True)


def every_key() -> list[str]:
    """The keys of both the resolver and the table: a URL missing from either fails its test."""
    return sorted(project_urls().keys() | all_cases().keys())


def expected_answers(key: str) -> list[tuple[str, str]]:
    """(persona, answer) for the eight personas of the table, then for the role personas: the
    answer of the persona whose organisation they share unless ROLE_EXCEPTIONS says otherwise."""
    case = all_cases()[key]
    answers = list(zip(PERSONAS, case.expect, strict=True))
    base = dict(answers)
    exceptions = ROLE_EXCEPTIONS.get(key, {})
    return answers + [
        (persona, exceptions.get(persona, base[like])) for persona, like in ROLE_PERSONAS.items()
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("key", every_key())
def test_every_persona_gets_the_answer_the_table_expects(key, world):
    urls, cases = project_urls(), all_cases()
    assert key in cases, f"unclassified URL: {key} ({urls[key]})"
    assert key in urls, f"classified URL that no longer exists: {key}"
    cache.clear()  # rate limits count in the cache, which outlives the test's transaction
    case = cases[key]
    path = fill(urls[key], {name: getattr(world, attr) for name, attr in case.kwargs.items()})
    # (resolve() leaves out a regex's "^" where it joins the routes)
    assert resolve(path).route == urls[key].replace("^", ""), f"{key}: {path} is another's"
    wrong = []
    for persona, expected in expected_answers(key):
        response = ask(signed_in(world, persona), case, path, world)
        text = body(response)
        asked = f"{case.method.upper()} {path} as {persona}"
        if answer(response) != expected:
            where = f" → {response['Location']}" if response.has_header("Location") else ""
            wrong.append(f"{asked}: expected {expected}, got {response.status_code}{where}")
        elif response.status_code == 200 and persona in OUTSIDERS and not case.bearer:
            shown = [secret for secret in world.secrets if secret in text]
            if shown:
                wrong.append(f"{asked}: shows A's {', '.join(shown)}")
    assert not wrong, f"{len(wrong)} answers differ from the table:\n" + "\n".join(wrong)


def test_role_exceptions_name_urls_and_role_personas():
    assert set(ROLE_EXCEPTIONS) <= set(all_cases())
    for answers in ROLE_EXCEPTIONS.values():
        assert set(answers) <= set(ROLE_PERSONAS)
