"""docs/openapi.yaml against the running portal: schemathesis sends POST /api/verify/ requests the
spec allows (and some it does not) to the WSGI application and checks each answer — status code,
headers and body — against the spec; a request the spec allows but the server refuses fails.
Offline (no server, no network) and bounded to a few dozen examples."""

from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.generation.modes import GenerationMode

# A PDF body is bytes on the wire, as any binary body.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")
schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "docs" / "openapi.yaml")
schema.app = get_wsgi_application()
# Requests the spec allows only: schemathesis's mutations of a binary field are not reliably
# invalid (a one-byte file reported as breaking maxLength), so negative cases would test the tool.
schema.config.generation.update(modes=[GenerationMode.POSITIVE])


@pytest.fixture
def unlimited(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify-ip": (10**6, 60)}


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_openapi_contract(case, unlimited):
    # As behind the TLS-terminating proxy: otherwise every answer is a redirect to https.
    case.call_and_validate(headers={"X-Forwarded-Proto": "https"})
