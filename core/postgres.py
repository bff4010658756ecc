"""Schema that only PostgreSQL builds, declared in the models all the same.

Production runs on PostgreSQL; development and half of the tests on SQLite, which has no GIN
indexes, trigram operator classes or INCLUDE columns. An index declared with one of these
classes stays in the model state everywhere (so `makemigrations` knows it and writes no
change), and is built, and dropped, on PostgreSQL only: every path of Django's schema editor
asks the index for its SQL (a migration's AddIndex and RemoveIndex, a model's creation, and
SQLite's rebuild of a table when a later migration alters it), and elsewhere it answers an SQL
comment, which runs as nothing.
"""

from typing import Any

from django.contrib.postgres import indexes as postgres_indexes
from django.contrib.postgres import operations as postgres_operations
from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.ddl_references import Statement
from django.db.migrations.state import ProjectState


def _is_postgresql(schema_editor: BaseDatabaseSchemaEditor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class _PostgreSQLOnly(models.Index):
    # Django holds every index name to 30 characters, for Oracle; PostgreSQL allows 63.
    max_name_length = 63

    def _skipped(self) -> str:
        return f"-- index {self.name}: built on PostgreSQL only"

    def create_sql(
        self,
        model: type[models.Model],
        schema_editor: BaseDatabaseSchemaEditor,
        using: str = "",
        **kwargs: Any,
    ) -> Statement:
        if not _is_postgresql(schema_editor):
            # A statement, as the schema editor keeps it to run with the table's others.
            return Statement("%(comment)s", comment=self._skipped())
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(
        self, model: type[models.Model], schema_editor: BaseDatabaseSchemaEditor, **kwargs: Any
    ) -> str:
        if not _is_postgresql(schema_editor):
            return self._skipped()
        return super().remove_sql(model, schema_editor, **kwargs)


class PostgreSQLIndex(_PostgreSQLOnly):
    """A B-tree index built on PostgreSQL only (e.g. one with INCLUDE columns)."""


class PostgreSQLGinIndex(_PostgreSQLOnly, postgres_indexes.GinIndex):
    """A GIN index (e.g. with the `gin_trgm_ops` operator class) built on PostgreSQL only."""


class TrigramExtension(postgres_operations.TrigramExtension):
    """pg_trgm, for the trigram indexes. Django's operation creates it on PostgreSQL only but
    looks it up on any database when reversed; this one does nothing elsewhere both ways."""

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if _is_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
