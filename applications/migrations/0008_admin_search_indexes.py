"""Indexes for the admin list's search by works name (工事名), on PostgreSQL only.

The search is `works_name LIKE '%term%'` (get_search_results), which no B-tree index serves:
- a pg_trgm GIN index finds a term of three characters or more among every branch's
  applications, however few have it (a works name, a place name);
- a term of two characters, the length of most Japanese words (護岸, 舗装), has no trigram, so no
  trigram index can serve it; a branch's list then reads its applications from a covering index
  of the branch (with the columns the search and the status filter look at), index only, instead
  of the table, until the list's count (at most 2,000) is reached.

Neither exists on SQLite, where the development database is small. Not in the models' Meta: a
GIN operator class and INCLUDE columns would be PostgreSQL-only there too.
"""

from django.db import migrations

INDEXES = {
    "application_works_name_trgm_idx": (
        "USING gin (works_name gin_trgm_ops)",
        "",
    ),
    "application_branch_search_idx": (
        "(branch_id) INCLUDE (status, works_name, contractor_id, obligee_id)",
        "WHERE NOT (status = 'draft')",
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A trusted extension since PostgreSQL 13: the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (columns, condition) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON applications_application {columns} {condition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("applications", "0007_admin_work_to_do_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
