"""pylti1p3 tool configuration over the database (the shape of pylti1p3's DjangoDbToolConf)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import Connection, and_, bindparam, func, select

from .. import keys
from ..errors import LaunchError
from ..extensions import db
from ..models import Deployment, Registration, Tenant, utcnow
from ..services import audit

_R = Registration.__table__
_TN = Tenant.__table__
_D = Deployment.__table__
# The registration, its tenant's settings and (on a launch) the deployment's status: one query.
_REG = (
    select(*_R.c, _TN.c.settings.label("tenant_settings"), _D.c.status.label("deployment_status"))
    .join(_TN, _TN.c.id == _R.c.tenant_id)
    .outerjoin(_D, and_(_D.c.registration_id == _R.c.id, _D.c.deployment_id == bindparam("did")))
    .where(_R.c.issuer == bindparam("iss"), _R.c.client_id == bindparam("cid"))
)
_DEP = select(Deployment.__table__.c.status).where(
    Deployment.__table__.c.registration_id == bindparam("rid"),
    Deployment.__table__.c.deployment_id == bindparam("did"),
)


class RegistrationRef(SimpleNamespace):
    """A registration as the launch needs it: one Core row, no ORM identity."""


def _load_registration(
    iss: str, client_id: str, deployment_id: str, connection: Connection | None = None
) -> RegistrationRef | None:
    row = (
        (connection or db.session.connection())
        .execute(_REG, {"iss": iss, "cid": client_id, "did": deployment_id})
        .mappings()
        .first()
    )
    if row is None:
        return None
    values = dict(row)
    settings = values.pop("tenant_settings")
    return RegistrationRef(
        **values,
        looked_up_deployment=deployment_id,
        tenant=SimpleNamespace(id=values["tenant_id"], settings=settings),
    )


class DbToolConf(ToolConfAbstract):
    """Registrations and deployments from the database; one issuer may have many client ids."""

    def __init__(self, connection: Connection | None = None) -> None:
        super().__init__()
        # where the lookup by issuer and client id reads (the login's own connection), or the
        # request's session
        self.connection = connection
        # the ORM row (lookup by issuer) or a Core row (lookup by issuer and client id)
        self.registration: Registration | RegistrationRef | None = None
        # the launch's deployment id, so its status comes with the registration in one query
        self.deployment_hint = ""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _to_lti(self, reg: Registration | RegistrationRef) -> LtiRegistration:
        self.registration = reg
        return (
            LtiRegistration()
            .set_issuer(reg.issuer)
            .set_client_id(reg.client_id)
            .set_auth_login_url(reg.auth_login_url)
            .set_auth_token_url(reg.auth_token_url)
            .set_key_set_url(reg.key_set_url)
        )

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        regs = db.session.scalars(
            select(Registration).where(Registration.issuer == iss).limit(2)
        ).all()
        if not regs:
            raise LaunchError(
                f"No platform with issuer {iss} is registered with Career Credit.",
                reason="unknown_issuer",
                hint="Register the platform (Career Credit's administration pages or "
                "'flask --app lti_tool registration add') and try again.",
            )
        if len(regs) > 1:
            raise LaunchError(
                f"Issuer {iss} has several client ids registered and the login request named none.",
                reason="unknown_client",
                hint="Configure the LMS to send client_id with the login request.",
            )
        return self._to_lti(regs[0])

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        if not client_id:
            return self.find_registration_by_issuer(iss)
        reg = _load_registration(iss, client_id, self.deployment_hint, self.connection)
        if reg is None:
            known = db.session.scalar(
                select(func.count()).select_from(Registration).where(Registration.issuer == iss)
            )
            if not known:
                raise LaunchError(
                    f"No platform with issuer {iss} is registered with Career Credit.",
                    reason="unknown_issuer",
                    hint="Register the platform (Career Credit's administration pages or "
                    "'flask --app lti_tool registration add') and try again.",
                )
            raise LaunchError(
                f"Issuer {iss} is registered, but not with client id {client_id}.",
                reason="unknown_client",
                hint="Check the client id of the LTI key in the LMS against the "
                "registration in Career Credit.",
            )
        return self._to_lti(reg)

    def find_deployment(self, iss: str, deployment_id: str) -> Any:
        raise NotImplementedError("every issuer may have many client ids")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        reg = self.registration
        if reg is None or reg.issuer != iss or reg.client_id != client_id:
            reg = db.session.scalar(
                select(Registration).where(
                    Registration.issuer == iss, Registration.client_id == client_id
                )
            )
        if reg is None:
            return None
        if isinstance(reg, RegistrationRef) and reg.looked_up_deployment == deployment_id:
            status = reg.deployment_status  # fetched with the registration
        else:
            status = (
                db.session.connection()
                .execute(_DEP, {"rid": reg.id, "did": deployment_id})
                .scalar()
            )
        if status is None:
            status = record_new_deployment(reg, deployment_id).status
        if status != "active":
            raise LaunchError(
                f"Deployment id {deployment_id!r} of {iss} (client id {client_id}) is not "
                "approved for Career Credit yet.",
                reason="unknown_deployment",
                hint="A Career Credit administrator must approve it on the administration pages, "
                "or run "
                f"'flask --app lti_tool registration deployments approve --issuer {iss} "
                f"--client-id {client_id} --deployment-id {deployment_id}'.",
            )
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> dict:
        """The key set of the tenant that owns this issuer (+ client id); an issuer shared by
        several tenants without a client id names no key set."""
        if not iss:
            return {"keys": []}
        query = select(Registration.tenant_id).where(Registration.issuer == iss)
        if client_id:
            query = query.where(Registration.client_id == client_id)
        tenant_ids = set(db.session.scalars(query))
        if len(tenant_ids) != 1:
            return {"keys": []}
        tenant = db.session.get(Tenant, tenant_ids.pop())
        return keys.tenant_jwks(tenant) if tenant is not None else {"keys": []}


def record_new_deployment(reg: Registration | RegistrationRef, deployment_id: str) -> Deployment:
    """Record a deployment id seen for the first time (active unless the registration is
    strict) and audit it; flushes. A launch it refuses still leaves it for approval: the launch
    view commits what a refused launch recorded (``commit_now``)."""
    status = "pending" if reg.strict_deployments else "active"
    dep = Deployment(
        registration_id=reg.id,
        tenant_id=reg.tenant_id,
        deployment_id=deployment_id,
        status=status,
        approved_at=None if reg.strict_deployments else utcnow(),
        first_seen_by_launch=True,
    )
    db.session.add(dep)
    audit.record(
        "lti-launch",
        "deployment.first_seen",
        reg.tenant_id,
        issuer=reg.issuer,
        client_id=reg.client_id,
        deployment_id=deployment_id,
        status=status,
    )
    db.session.flush()
    return dep
