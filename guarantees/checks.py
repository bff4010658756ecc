from collections.abc import Sequence

from cryptography.fernet import Fernet
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def auth_key_secrets(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """Production keeps the key secrets apart from SECRET_KEY: rotating SECRET_KEY (sessions,
    password-reset links) must not make every stored authentication key unreadable."""
    problems: list[CheckMessage] = []
    if not settings.AUTH_KEY_HMAC_SECRET:
        problems.append(
            Warning(
                "AUTH_KEY_HMAC_SECRET is not set: authentication keys are looked up with a "
                "secret derived from SECRET_KEY.",
                hint="Set AUTH_KEY_HMAC_SECRET (or AUTH_KEY_HMAC_SECRET_FILE) to a long random value.",
                id="guarantees.W001",
            )
        )
    if not settings.AUTH_KEY_FERNET_KEYS:
        problems.append(
            Warning(
                "AUTH_KEY_FERNET_KEYS is not set: authentication keys are encrypted with a key "
                "derived from SECRET_KEY.",
                hint="Set AUTH_KEY_FERNET_KEYS to Fernet.generate_key() values, newest first.",
                id="guarantees.W002",
            )
        )
    for key in settings.AUTH_KEY_FERNET_KEYS:
        try:
            Fernet(key)
        except ValueError:
            problems.append(
                Error(
                    "AUTH_KEY_FERNET_KEYS holds a value that is not a Fernet key.",
                    id="guarantees.E001",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def time_stamping_authority(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """Without TSA_URL certificates are timestamped in-process with a key kept next to the
    application: good for development, worthless as evidence of when a guarantee was issued."""
    if settings.TSA_URL:
        return []
    return [
        Warning(
            "TSA_URL is not set: certificates are timestamped by the local development TSA.",
            hint="Set TSA_URL to the RFC 3161 time-stamping authority's address.",
            id="guarantees.W003",
        )
    ]
