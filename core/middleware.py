from django.conf import settings
from django.utils import translation


class DefaultLanguageMiddleware:
    """Japanese unless the user chose another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; our users know the
    Japanese screens, so the language changes only by the explicit choice stored in the cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
