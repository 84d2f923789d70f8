"""The frameworks blueprint's framework pages: the list, a framework and its items (faculty read;
career advisors and tool administrators edit), an item's versions, frameworks from a template,
CASE import and export."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from flask import Response, current_app, flash, redirect, render_template
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from connectors.case import fetch_package
from connectors.errors import ExternalError
from lti_tool import netguard
from lti_tool.auth import current_launch, requires
from lti_tool.errors import EXPLAINED, AppError
from lti_tool.limits import json_loads
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, refuse
from lti_tool.web import launch_url

from .. import case, case_export, services
from ..forms import ImportForm, ItemForm, StatusForm, TemplateForm
from ..models import Framework
from . import EDITORS, READERS, bp

MAX_PACKAGE_BYTES = 20 * 1024 * 1024


@bp.route("/", methods=["GET", "POST"])
@requires(*READERS, tool_admin=True)
def index() -> ResponseReturnValue:
    """The frameworks; a framework from a template (form ``template``) posts here."""
    return dispatch(template=_from_template) or _index_page(TemplateForm(formdata=None))


def _index_page(template_form: TemplateForm) -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "frameworks/index.html",
        frameworks=services.list_frameworks(ctx.tenant_id),
        template_form=template_form,
    ), 422 if template_form.errors else 200


@requires(*EDITORS, write=True, tool_admin=True)
def _from_template() -> ResponseReturnValue:
    ctx = current_launch()
    form = TemplateForm()
    if form.validate_on_submit():
        fw = services.create_from_template(
            ctx.actor, form.template.data, form.title.data or "", form.program.data or ""
        )
        return done(
            f"Created “{fw.title}”: change its items to your program's wording.",
            "frameworks.framework",
            framework_id=fw.id,
        )
    return _index_page(form)


def _item_form(fw: Framework, **kwargs: Any) -> ItemForm:
    form = ItemForm(**kwargs)
    form.parent_id.choices = [(0, "Top level")] + [
        (row.item.id, ("— " * row.depth) + row.item.current.name)
        for row in services.tree(fw, include_retired=False)
    ]
    return form


def _framework_page(fw: Framework, form: ItemForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "frameworks/framework.html",
        framework=fw,
        rows=services.tree(fw),
        form=form,
        status_form=StatusForm(),
    ), status


@bp.route("/<int:framework_id>", methods=["GET", "POST"])
@requires(*READERS, tool_admin=True)
def framework(framework_id: int) -> ResponseReturnValue:
    """A framework and its items; a new item (form ``item``) posts here."""
    ctx = current_launch()
    fw = services.get_framework(ctx.tenant_id, framework_id)
    return dispatch(item=lambda: _add_item(fw)) or _framework_page(
        fw, _item_form(fw, formdata=None)
    )


@requires(*EDITORS, write=True, tool_admin=True)
def _add_item(fw: Framework) -> ResponseReturnValue:
    ctx = current_launch()
    form = _item_form(fw)
    if form.validate_on_submit():
        try:
            item = services.add_item(
                ctx.actor, fw.id, **_item_text(form), parent_id=form.parent_id.data or None
            )
        except AppError as exc:
            field_errors(form, exc)
        else:
            return done(f"Added “{item.current.name}”.", "frameworks.framework", framework_id=fw.id)
    return _framework_page(fw, form, 422)


class ItemText(TypedDict):
    name: str
    statement: str
    human_coding: str


def _item_text(form: ItemForm) -> ItemText:
    """An item's text as the form has it (name, description, code)."""
    return {
        "name": form.name.data,
        "statement": form.statement.data or "",
        "human_coding": form.human_coding.data or "",
    }


def _item_text_form(it: Any, **kwargs: Any) -> ItemForm:
    current = it.current
    data = {"name": current.name, "statement": current.statement, "human_coding": it.human_coding}
    form = ItemForm(data=data, **kwargs)
    del form.parent_id  # where an item sits changes by re-import; here only its text changes
    return form


@bp.get("/items/<int:item_id>")
@requires(*READERS, tool_admin=True)
def item(item_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    it = services.get_item(ctx.tenant_id, item_id)
    return render_template("frameworks/item.html", item=it, form=_item_text_form(it, formdata=None))


@bp.post("/items/<int:item_id>")
@requires(*EDITORS, write=True, tool_admin=True)
def revise_item(item_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    it = services.get_item(ctx.tenant_id, item_id)
    form = _item_text_form(it)
    if form.validate_on_submit():
        try:
            changed = services.revise_item(ctx.actor, it.id, **_item_text(form))
        except AppError as exc:
            field_errors(form, exc)
        else:
            return done(
                "Saved as a new version; evidence recorded earlier keeps the earlier text."
                if changed
                else "Nothing changed.",
                "frameworks.item",
                item_id=it.id,
            )
    return render_template("frameworks/item.html", item=it, form=form), 422


@bp.post("/items/<int:item_id>/status")
@requires(*EDITORS, write=True, tool_admin=True)
def item_status(item_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = StatusForm()
    if form.validate_on_submit():
        it = services.set_item_status(ctx.actor, item_id, form.status.data)
        return done(
            f"“{it.current.name}” is {'retired' if it.status == 'retired' else 'in use again'}.",
            "frameworks.framework",
            framework_id=it.framework_id,
        )
    flash("Nothing changed: reload the page and try again.", "error")
    return redirect(launch_url("frameworks.index"), code=303)


def _uploaded_json(storage: FileStorage) -> Any:
    raw = storage.stream.read(MAX_PACKAGE_BYTES + 1)
    if len(raw) > MAX_PACKAGE_BYTES:
        raise case.CaseFormatError("package", "larger than 20 MB")
    try:
        return json_loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise case.CaseFormatError("package", f"not JSON ({exc})") from None


@bp.route("/import", methods=["GET", "POST"])
@requires(*EDITORS, write=True, tool_admin=True)
def import_case() -> ResponseReturnValue:
    ctx = current_launch()
    form = ImportForm()
    error: AppError | ExternalError | None = None
    if form.validate_on_submit():
        try:
            if form.url.data:
                # outside production (development, tests) plain http is allowed; private
                # providers as OUTBOUND_ALLOW_PRIVATE_HOSTS says (netguard.allow_private_hosts)
                local = current_app.config["CAREER_CREDIT_ENV"] != "production"
                data = fetch_package(form.url.data, netguard.session(), allow_http=local)
            else:
                data = _uploaded_json(form.file.data)
            result = case.import_package(
                ctx.actor,
                case.parse_package(data),
                kind=form.kind.data,
                source_url=form.url.data or None,
            )
        except EXPLAINED as exc:  # a CASE provider's error too
            refuse()  # the page shows the error (4xx): nothing of the import is kept
            error = exc
        else:
            return done(
                f"Imported “{result.framework.title}”: {result.created} new, {result.revised} "
                f"changed, {result.unchanged} unchanged, {result.retired} retired.",
                "frameworks.framework",
                framework_id=result.framework.id,
            )
    status = error.status if error else (422 if form.errors else 200)
    return render_template("frameworks/import.html", form=form, error=error), status


@bp.get("/<int:framework_id>/case.json")
@requires(*READERS, tool_admin=True)
def export_case(framework_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    fw = services.get_framework(ctx.tenant_id, framework_id)
    body = json.dumps(case_export.export_package(fw), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="framework-{fw.id}-case.json"',
            "Cache-Control": "private, no-store",
        },
    )
