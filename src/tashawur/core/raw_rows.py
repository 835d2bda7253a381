"""Model instances from the rows of a hand-written query, built as the ORM builds them.

A hot read whose rows are simple (a round table with its meeting, consultation and theme; a
page of contributions) spends most of its CPU having the ORM compile its SQL — joins, column
lists, aliases — rather than running it (issue 15, item 1: 3 ms for one round table's look-up
with six joined tables, against 0.3 ms to run the same SQL). ``ModelColumns`` writes a
model's column list once per alias and turns the matching slice of a row into an instance
with the database's converters applied (SQLite's dates and booleans, PostgreSQL's JSON), so
the same SQL serves both databases and the instance is the one the ORM would have given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


class ModelColumns(Generic[M]):
    """Every concrete column of ``model`` under the table alias ``alias``."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        # The converters of each column, by database vendor (one per process in practice).
        self._converters: dict[str, list[tuple[int, list[Any], Any]]] = {}
        self._sql: dict[str, str] = {}

    @property
    def width(self) -> int:
        return len(self.fields)

    def sql(self) -> str:
        """``alias."column", ...`` for a SELECT list, quoted for the connection."""
        found = self._sql.get(connection.vendor)
        if found is None:
            quote = connection.ops.quote_name
            found = ", ".join(f"{self.alias}.{quote(str(field.column))}" for field in self.fields)
            self._sql[connection.vendor] = found
        return found

    def _converters_of_connection(self) -> list[tuple[int, list[Any], Any]]:
        vendor = connection.vendor
        found = self._converters.get(vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                convs = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if convs:
                    found.append((index, convs, column))
            self._converters[vendor] = found
        return found

    def build(self, row: Sequence[Any], start: int = 0) -> M | None:
        """The instance in ``row[start:start + width]``; ``None`` when its key is NULL (a LEFT
        JOIN that found nothing)."""
        values = list(row[start : start + self.width])
        if values[self.pk_index] is None:
            return None
        for index, convs, column in self._converters_of_connection():
            value = values[index]
            for converter in convs:
                value = converter(value, column, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)
