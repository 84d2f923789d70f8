"""Who is acting: the one value every public service that changes something takes first,
together with the tenant it acts in.

Four places produce an ``Actor``:

- a launch: ``ctx.actor`` (``LaunchContext.actor``), the launch's user in the launch's tenant;
- a supervisor's or employer's signed link: ``Actor.link(...)``, from the link's grant;
- the command line: ``Actor.cli(tenant_id, command)``;
- a job or task that acts later for whoever asked: ``Actor.recorded(tenant_id, name)``, from the
  name the job stored.

``name`` is how the actor appears in the audit trail and on decisions (at most 255 characters);
``user_id`` is the tool's user when there is one. Services read the tenant from
``actor.tenant_id`` (``actor.tenant`` when they need one) — never from a separate argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import AppError

NAME_LENGTH = 255


@dataclass(frozen=True)
class Actor:
    tenant_id: int | None  # None: installation-wide (an operator at the command line)
    name: str
    user_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", (self.name or "unknown")[:NAME_LENGTH])

    def __str__(self) -> str:
        return self.name

    @property
    def tenant(self) -> int:
        """The tenant this actor acts in; a tenant-scoped service refuses an installation-wide
        actor."""
        if self.tenant_id is None:
            raise AppError("This needs an institution: no tenant was given.")
        return self.tenant_id

    def within(self, tenant_id: int | None) -> Actor:
        """The same person acting in ``tenant_id`` (an operator naming a tenant)."""
        return Actor(tenant_id, self.name, self.user_id)

    @classmethod
    def user(cls, tenant_id: int, user_id: int, name: str, email: str) -> Actor:
        """A launched user, as every audit entry names them."""
        return cls(tenant_id, f"{name or 'user'} <{email}> (user {user_id})", user_id)

    @classmethod
    def cli(cls, tenant_id: int | None = None, command: str = "") -> Actor:
        """An operator at the command line (``command`` names the command, when it helps)."""
        return cls(tenant_id, f"operator (flask {command})" if command else "cli")

    @classmethod
    def link(cls, tenant_id: int, who: str) -> Actor:
        """Someone without an account, acting through a signed link (``who`` says which)."""
        return cls(tenant_id, who)

    @classmethod
    def recorded(cls, tenant_id: int, name: str) -> Actor:
        """A job or task acting for whoever asked for it, under the name it stored."""
        return cls(tenant_id, name)
