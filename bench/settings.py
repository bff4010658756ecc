"""The production settings, plus the two reference pages that only `make bench` serves.

`make bench` runs gunicorn (and its in-process probes) with DJANGO_SETTINGS_MODULE=bench.settings:
everything a real page goes through (middleware, sessions, authentication, context processors,
templates, the database connection) is netdesk.settings unchanged; only the URLconf adds the
floor page and the stock admin (bench.urls). Production never imports this module, so neither
page exists there.
"""

import copy

from netdesk.settings import *  # noqa: F403
from netdesk.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
# The floor page's template; appended, so every project template is found where it always is.
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
