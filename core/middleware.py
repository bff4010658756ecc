import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

IDLE_SIGNED_OUT = _(
    "一定時間操作がなかったため、安全のためログアウトしました。もう一度ログインしてください。"
)

GetResponse = Callable[[HttpRequest], HttpResponseBase]
V = TypeVar("V", bound=Callable[..., Any])


class DefaultLanguageMiddleware:
    """Japanese unless the user chose another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; our users know the
    Japanese screens, so the language changes only by the explicit choice stored in the cookie.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PermissionsPolicyMiddleware:
    """Sends the Permissions-Policy header built from settings.PERMISSIONS_POLICY."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{name}={value}" for name, value in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


# What a view sets to change or drop the policy for its response (django-csp's decorators).
_CSP_PER_VIEW = ("_csp_exempt", "_csp_config", "_csp_update", "_csp_replace")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the site-wide policy built once.

    django-csp builds the header from the settings again for every response (about 0.25 ms here,
    a twentieth of a one-query page). Responses of views that change the policy, or pages that
    use a nonce, still go through django-csp's own code; so does everything in DEBUG, where it
    leaves the debug pages without a policy.
    """

    _policy_for = None
    _policy = ""

    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        self.only_site_policy = not (
            settings.DEBUG or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        )

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            not self.only_site_policy
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _CSP_PER_VIEW)
        ):
            return super().process_response(request, response)
        if self._policy_for is not settings.CONTENT_SECURITY_POLICY:  # changed by a test
            self._policy_for = settings.CONTENT_SECURITY_POLICY
            self._policy = build_policy()
        response.headers.setdefault(CSP_HEADER, self._policy)
        return response


IDLE_SESSION_KEY = "_netdesk_last_seen"
# The stamp of the last request is rewritten at most this often: a session write per request
# would cost every page a cache and database write.
IDLE_STAMP_INTERVAL = 60


def stamp_sign_in(
    sender: object, request: HttpRequest | None, user: object, **kwargs: object
) -> None:
    """Starts the idle clock at sign-in (user_logged_in), so the first page has nothing to write."""
    if request is not None and hasattr(request, "session"):
        request.session[IDLE_SESSION_KEY] = int(time.time())


class IdleTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_TIMEOUT (staff: SESSION_IDLE_TIMEOUT_STAFF) without a
    request, and sends them to the sign-in page of the part they were using with a message."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(IDLE_SESSION_KEY)
            timeout = (
                settings.SESSION_IDLE_TIMEOUT_STAFF
                if user.is_staff
                else settings.SESSION_IDLE_TIMEOUT
            )
            if last_seen is not None and now - last_seen > timeout.total_seconds():
                return self._signed_out(request)
            if last_seen is None or now - last_seen >= IDLE_STAMP_INTERVAL:
                request.session[IDLE_SESSION_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _signed_out(request: HttpRequest) -> HttpResponseBase:
        logout(request)
        messages.info(request, IDLE_SIGNED_OUT)
        admin_prefix = reverse("admin:index")
        login_url = "admin:login" if request.path.startswith(admin_prefix) else settings.LOGIN_URL
        return redirect_to_login(request.get_full_path(), resolve_url(login_url))


CONTROL_CHARACTER_REFUSED = _("入力に使用できない文字(制御文字)が含まれています。")

# C0 control characters other than the whitespace people paste (tab, line feed, carriage return).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def answers_any_path(view: V) -> V:
    """Marks a view that answers any path of its URL itself, a control character included (e.g. a
    public page whose unknown addresses must all give the same 404): ControlCharacterMiddleware
    lets such paths through to it. Its query string is still checked."""
    view.answers_any_path = True  # type: ignore[attr-defined]  # a mark, as csrf_exempt sets
    return view


def _answers_any_path(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "answers_any_path", False)


class ControlCharacterMiddleware:
    """Answers 400 (the Japanese error page) to a query string or path holding a control character.

    No one types a NUL byte into a search box: it comes from tools and probes, and PostgreSQL
    refuses it in text, which would end as a 500. Refusing the request says so plainly, where
    quietly stripping it would search for something nobody asked for. Form posts need no such
    guard: Django's form fields already refuse NUL with a field error.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        query = unquote(request.META.get("QUERY_STRING", ""))
        path_refused = _CONTROL_CHARACTERS.search(request.path) and not _answers_any_path(request)
        if _CONTROL_CHARACTERS.search(query) or path_refused:
            # The pages' scripts (obligee search, fee estimate) ask for JSON and show its message.
            if request.headers.get("Accept", "").startswith("application/json"):
                return JsonResponse({"error": str(CONTROL_CHARACTER_REFUSED)}, status=400)
            raise BadRequest("A control character in the query string or path.")
        return self.get_response(request)
