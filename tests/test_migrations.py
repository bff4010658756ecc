"""The migrations are in step with the models (makemigrations has nothing to write), and the
indexes of the admin's works-name search, declared in the model, are built on PostgreSQL and
left out on SQLite, whatever path of the schema editor builds the table."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from applications.models import Application

pytestmark = pytest.mark.django_db

POSTGRESQL = connection.vendor == "postgresql"
SEARCH_INDEXES = {"application_works_name_trgm_idx", "application_branch_search_idx"}
LIST_INDEXES = {
    "application_branch_sent_idx",
    "application_sent_idx",
    "application_branch_todo_idx",
    "application_todo_idx",
    "application_branch_status_idx",
}


def test_the_models_need_no_new_migration():
    out = StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)  # exits 1 on a change
    assert "No changes detected" in out.getvalue()


def test_the_search_indexes_exist_on_postgresql_only():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Application._meta.db_table)
    assert set(indexes) >= LIST_INDEXES
    if not POSTGRESQL:
        assert SEARCH_INDEXES & set(indexes) == set()
        return
    assert set(indexes) >= SEARCH_INDEXES
    assert indexes["application_works_name_trgm_idx"]["type"] == "gin"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'application_branch_search_idx'"
        )
        (definition,) = cursor.fetchone()
    assert "(branch_id) INCLUDE (status, works_name, contractor_id, obligee_id)" in definition
    assert "WHERE (NOT ((status)::text = 'draft'::text))" in definition


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to run in a transaction
def test_building_the_table_anew_leaves_them_out_elsewhere():
    # SQLite builds a table anew when a migration alters it: the model's indexes with it.
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        editor.create_model(Application)
    statements = "\n".join(editor.collected_sql)
    for name in SEARCH_INDEXES:
        created = f'CREATE INDEX "{name}"' in statements
        assert created == POSTGRESQL, statements
        assert (f"-- index {name}: built on PostgreSQL only" in statements) != POSTGRESQL


@pytest.mark.skipif(not POSTGRESQL, reason="the trigram index is PostgreSQL's")
def test_a_works_name_search_reads_the_trigram_index():
    with connection.cursor() as cursor:  # an empty table is cheaper to read whole
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Application.objects.filter(works_name__contains="護岸工事").order_by().explain()
    assert "application_works_name_trgm_idx" in plan, plan
