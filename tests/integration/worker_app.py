"""The Celery app the integration tests' worker runs: Net Desk's own, and one thing more.

Each transactional test ends with a flush of the test database that recreates the content types
under new ids. The test process forgets its cached ids then (Django's post_migrate); the worker,
a process of its own, would keep writing audit entries with the old ones, so it forgets them
before every task.
"""

from celery.signals import task_prerun

from netdesk.celery import app

__all__ = ["app"]


@task_prerun.connect
def _forget_content_types(**kwargs):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
