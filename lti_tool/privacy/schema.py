"""What the schema says about personal data, read from the SQLAlchemy metadata so that tables
added later are covered without a list to maintain here: every table with a foreign key to
``lti_user`` (directly, or through a row that has one, such as an engagement's hour logs), and
every encrypted column."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy import Column, MetaData, Table

from ..extensions import db

USER_TABLE = "lti_user"
# A foreign key to lti_user in one of these columns means "this row is that person's"; any
# other (an author, a reviewer) means the row belongs to someone else and only mentions them.
OWNER_COLUMNS = ("student_id", "user_id")


def model_modules() -> tuple[str, ...]:
    """Every domain's model modules (``lti_tool.domains``): the list Alembic imports too."""
    from ..domains import model_modules as domain_model_modules

    return domain_model_modules()


def load_all_models() -> MetaData:
    """Import every model module so the metadata holds every table; return it."""
    for module in model_modules():
        importlib.import_module(module)
    return db.metadata


@dataclass(frozen=True)
class Reference:
    """A table that holds rows about a person: ``column`` points at ``parent``'s ``id``."""

    table: Table
    column: Column
    parent: str  # the table referred to: lti_user, or a table that belongs to one person
    depth: int  # 1 = points at lti_user directly

    @property
    def owner(self) -> bool:
        return self.depth > 1 or self.column.name in OWNER_COLUMNS


def _owned_tables(metadata: MetaData) -> set[str]:
    """Tables whose rows each belong to one person: an owner column points at ``lti_user``."""
    return {
        table.name
        for table in metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == USER_TABLE and fk.parent.name in OWNER_COLUMNS
    }


def user_references(metadata: MetaData | None = None) -> list[Reference]:
    """Every (table, column) that ties rows to a person: direct foreign keys to ``lti_user``,
    then rows hanging off such a row (a deliverable of an engagement), breadth first."""
    metadata = metadata or load_all_models()
    references: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    owned_tables = _owned_tables(metadata)
    frontier = {USER_TABLE}
    depth = 1
    owned_parents: set[str] = set()
    while frontier and depth <= 4:
        for table in metadata.sorted_tables:
            for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
                parent = fk.column.table.name
                if parent not in frontier or table.name == USER_TABLE:
                    continue
                if depth > 1 and table.name in owned_tables:
                    continue  # tied to its person directly: found at depth 1
                key = (table.name, fk.parent.name)
                if key in seen:
                    continue
                seen.add(key)
                references.append(Reference(table, fk.parent, parent, depth))
        owned_parents |= frontier
        # Only rows that belong to a person lead to further rows of theirs (a note's author
        # does not own what hangs off the note).
        found = {r.table.name for r in references if r.depth == depth and r.owner}
        frontier = found - owned_parents
        depth += 1
    return references


def encrypted_columns(metadata: MetaData | None = None) -> list[tuple[Table, Column]]:
    """Every column declared ``EncryptedText``."""
    from ..crypto import EncryptedText

    metadata = metadata or load_all_models()
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]
