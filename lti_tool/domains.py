"""The one list of domains. ``create_app`` registers each enabled domain in this order; Alembic
(``migrations/env.py``) and the privacy schema (``lti_tool.privacy.schema``) import every
domain's models from it, whether or not the domain is on in this configuration.

A domain is a module (usually a package's ``__init__``) with:

- ``MODELS``: the names of its modules that define tables;
- ``register(app)``: in one screen, its blueprints, CLI groups, home panels, outbox senders,
  tick hooks, retention rules, erasure hooks and task kinds.

Importing a domain registers nothing: its views, commands and registries are imported inside
``register``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class Domain:
    module: str
    setting: str | None = None  # registered only when this setting is true

    def load(self) -> ModuleType:
        """The domain's module (importing it registers nothing)."""
        return importlib.import_module(self.module)

    def enabled(self, config: Any) -> bool:
        return self.setting is None or bool(config.get(self.setting))


DOMAINS: tuple[Domain, ...] = (
    Domain("lti_tool.core"),  # launches, homes, registration, administration, the AGS sender
    Domain("internships"),
    Domain("internships.workspace"),  # messages, onboarding, milestones, check-ins, reminders
    Domain("internships.employers"),  # pay records, the employer's own page, offers
    Domain("credit"),
    Domain("accreditation"),
    Domain("accreditation.credentials"),  # Open Badges 3.0 and CLR 2.0, the portfolio
    Domain("lti_tool.sandbox", setting="SANDBOX_ENABLED"),  # development and demos only
)


def register_all(app: Flask) -> None:
    """Register every domain that is on in ``app``'s configuration, in ``DOMAINS`` order."""
    for domain in DOMAINS:
        if domain.enabled(app.config):
            domain.load().register(app)


def model_modules() -> tuple[str, ...]:
    """Every domain's model modules (on or off in this configuration): what Alembic and the
    privacy schema import."""
    return tuple(name for domain in DOMAINS for name in domain.load().MODELS)


def load_models() -> None:
    """Import every model module, so ``db.metadata`` holds every table."""
    for name in model_modules():
        importlib.import_module(name)
