"""Unbound Flask extensions; ``create_app`` binds them."""

from typing import TYPE_CHECKING, ClassVar

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here maps one Table (none maps a join or a select), so Core statements
        # may take ``Model.__table__`` and its ``.insert()``/``.update()``/``.c``.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The base every model subclasses. At run time it is ``db.Model`` (Flask-SQLAlchemy's subclass of
# ``Base``: the same metadata, naming convention and registry, plus its table-name and bind
# hooks). ``db.Model`` is an attribute typed ``type[...]``, which mypy cannot take as a base
# class, so mypy sees ``Base`` itself: the columns' ``Mapped[...]`` types are then checked.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()


def include_in_migrations(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: skip what a domain creates by hand in its migration
    (full-text tables and indexes), listed in ``metadata.info["unmanaged_names"]``."""
    return name not in db.metadata.info.get("unmanaged_names", ())
