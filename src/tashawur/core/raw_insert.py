"""One row inserted with one plain statement, its values prepared as the ORM prepares them.

``Model.objects.create`` spends most of its CPU outside the database on a hot write: the insert
compiler, the save machinery and its signals (issue 15, item 1: 1 ms of the 1.2 ms a
contribution's row cost). ``ModelInsert`` writes the statement once per database vendor and
takes each value as ``save`` would: the instance's defaults from its constructor, each field's
``pre_save`` (``auto_now``, a file stored by its ``FileField``) and ``get_db_prep_save`` (JSON,
dates, UUIDs). What it leaves out is the caller's to do and to say: ``pre_save`` and
``post_save`` are not sent, and expressions (``F()``, a ``db_default``) are refused.

``conflict_ignored``: a row that breaks a unique constraint is not inserted and no error is
raised (``ON CONFLICT DO NOTHING``: only uniqueness, never a check or a foreign key), so that a
caller racing another writer for the same key needs no savepoint to learn it lost.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

M = TypeVar("M", bound=Model)


class ModelInsert(Generic[M]):
    """Inserts instances of ``model`` (one table: no multi-table inheritance)."""

    def __init__(self, model: type[M], *, conflict_ignored: bool = False) -> None:
        meta = model._meta
        if meta.parents:
            raise TypeError(f"{model.__name__} inherits a table: save it with the ORM.")
        self.model = model
        self.conflict_ignored = conflict_ignored
        # What the database fills in (an auto-incremented key) comes back with RETURNING.
        self.returning = list(meta.db_returning_fields)
        self.fields = [
            field
            for field in meta.local_concrete_fields
            if field not in self.returning and not field.generated
        ]
        self._sql: dict[str, str] = {}

    def sql(self, connection: BaseDatabaseWrapper) -> str:
        """The statement, quoted for ``connection`` (SQLite and PostgreSQL)."""
        found = self._sql.get(connection.vendor)
        if found is None:
            if connection.vendor not in ("sqlite", "postgresql"):
                raise NotImplementedError(connection.vendor)
            quote = connection.ops.quote_name
            columns = ", ".join(quote(str(field.column)) for field in self.fields)
            found = (
                f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(self.fields))})"
            )
            if self.conflict_ignored:
                found += " ON CONFLICT DO NOTHING"
            if self.returning:
                found += " RETURNING " + ", ".join(
                    quote(str(field.column)) for field in self.returning
                )
            self._sql[connection.vendor] = found
        return found

    def values(self, obj: M, connection: BaseDatabaseWrapper) -> list[Any]:
        """The parameters of ``obj``'s row, as the ORM's insert takes them."""
        values = []
        for field in self.fields:
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{field.name}: an expression; save it with the ORM.")
            values.append(field.get_db_prep_save(value, connection=connection))
        return values

    def insert(self, obj: M) -> bool:
        """Insert ``obj``; ``True`` when its row was written (its key set on it, as ``save``
        sets it), ``False`` when a unique constraint kept it out (``conflict_ignored`` only)."""
        # The connection itself, not django.db.connection's proxy: each field's preparation
        # reads it several times, and each read through the proxy costs a thread-local look-up.
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(self.sql(connection), self.values(obj, connection))
            row = cursor.fetchone() if self.returning else () if cursor.rowcount else None
        if row is None:
            return False
        for field, value in zip(self.returning, row, strict=True):
            column = field.get_col(self.model._meta.db_table)
            converters = connection.ops.get_db_converters(column)
            for converter in converters + column.get_db_converters(connection):
                value = converter(value, column, connection)
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = connection.alias
        return True
