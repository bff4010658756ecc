# Net Desk: one image for web (gunicorn), worker and beat (Celery). See docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=netdesk.settings \
    MEDIA_ROOT=/data/media

# IPAex: the Japanese font of the certificates; DejaVu Sans Mono: the printed 認証キー;
# gettext: compilemessages; Pango and HarfBuzz:
# WeasyPrint's runtime (harfbuzz-subset makes font subsetting fast, as on the bench machine).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-ipaexfont fonts-dejavu-core gettext \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so this layer is rebuilt only when the lock changes: the exact versions the
# tests passed with. The project declares no packages (`packages = []`); the code runs from /app.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
# Production settings (DEBUG=0: manifest static files) need a key; this one exists only during the
# build.
# Static files are collected into the image (STATIC_ROOT=/app/var/static), served by WhiteNoise.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret python manage.py compilemessages \
    && DEBUG=0 SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input -v0

# Non-root at run time; the code stays root-owned (read-only to the app). The home directory is
# for fontconfig's cache and gunicorn's control socket; media is the only data the app writes.
RUN useradd --system --user-group --create-home --uid 10001 netdesk \
    && mkdir -p /data/media \
    && chown netdesk:netdesk /data/media
USER netdesk

EXPOSE 8000
CMD ["gunicorn", "netdesk.wsgi", "-w", "2", "-b", "0.0.0.0:8000", "--access-logfile", "-"]
