"""CASE 1.0/1.1 packages: checked whole before anything is written, imported by identifier
(re-import updates, never duplicates), exported so that a round trip changes nothing."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from accreditation.frameworks import case, case_export, services
from accreditation.frameworks.models import Framework, FrameworkItem, FrameworkItemVersion
from lti_tool.extensions import db

from .conftest import actor_in, case_fixture


def count(model, tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
    )


def test_flat_package_imports_with_identifiers_and_names(tenant):
    data = case_fixture("valid_flat.json")
    result = case.import_package(actor_in(tenant), case.parse_package(data))
    fw = result.framework
    assert (result.created, result.revised, result.retired) == (4, 0, 0)
    assert fw.identifier == data["CFDocument"]["identifier"]
    assert fw.title == "BS Engineering Student Outcomes" and fw.source == "case"
    assert fw.version == "1.0" and fw.creator == "Example State University"
    assert [i.identifier for i in fw.items] == [i["identifier"] for i in data["CFItems"]]
    names = [i.current.name for i in fw.items]
    # abbreviatedStatement when present, else the full statement
    assert names == [
        "Solve problems",
        "Design",
        "Communicate",
        "Recognise ethical responsibilities in professional situations.",
    ]
    assert fw.items[0].item_type == "Student Outcome" and fw.items[0].human_coding == "SO1"


def test_nested_package_keeps_its_hierarchy(tenant):
    result = case.import_package(
        actor_in(tenant), case.parse_package(case_fixture("valid_nested.json"))
    )
    rows = services.tree(services.get_framework(tenant.id, result.framework.id))
    assert [(r.item.human_coding, r.depth) for r in rows] == [
        ("LG1", 0),
        ("LG1.1", 1),
        ("LG1.2", 1),
        ("LG2", 0),
        ("LG2.1", 1),
        ("LG2.1.a", 2),
    ]


def test_reimport_updates_versions_and_retires_never_duplicates(tenant):
    first = case.import_package(
        actor_in(tenant), case.parse_package(case_fixture("valid_nested.json"))
    )
    fw_id = first.framework.id
    same = case.import_package(
        actor_in(tenant), case.parse_package(case_fixture("valid_nested.json"))
    )
    assert (same.created, same.revised, same.unchanged, same.retired) == (0, 0, 6, 0)
    assert count(FrameworkItemVersion, tenant.id) == 6

    second = case.import_package(
        actor_in(tenant), case.parse_package(case_fixture("valid_nested_v2.json"))
    )
    assert second.framework.id == fw_id
    assert (second.created, second.revised, second.unchanged, second.retired) == (1, 1, 4, 1)
    assert count(Framework, tenant.id) == 1
    assert count(FrameworkItem, tenant.id) == 7
    db.session.expire_all()
    fw = services.get_framework(tenant.id, fw_id)
    by_code = {i.human_coding: i for i in fw.items}
    assert [v.name for v in by_code["LG1.2"].versions] == ["Presentations", "Oral presentations"]
    assert by_code["LG2.1.a"].status == "retired"
    assert by_code["LG3"].parent_id is None and fw.version == "2.0"
    # the retired item comes back when a later package has it again
    third = case.import_package(
        actor_in(tenant), case.parse_package(case_fixture("valid_nested.json"))
    )
    assert third.retired == 1 and third.created == 0  # LG3 retired, LG2.1.a back
    assert count(FrameworkItem, tenant.id) == 7


def test_wrapped_package_is_read_the_same(tenant):
    package = case.parse_package(case_fixture("wrapped_flat.json"))
    assert package.identifier == case_fixture("valid_flat.json")["CFDocument"]["identifier"]
    assert len(package.items) == 4


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed_bad_uuid.json", "CFItems[3].identifier: not a UUID"),
        ("malformed_missing_statement.json", "CFItems[2].fullStatement: missing"),
        (
            "malformed_dangling_parent.json",
            "CFAssociations[4].destinationNodeURI.identifier: neither a CFItem",
        ),
        ("malformed_cycle.json", "CFAssociations: the isChildOf links around"),
        ("malformed_late_error.json", "CFItems[5].lastChangeDateTime: not an ISO 8601"),
    ],
)
def test_malformed_packages_are_refused_with_the_path_and_nothing_written(tenant, name, message):
    case.parse_package(case_fixture("valid_nested.json"))  # positive control
    with pytest.raises(case.CaseFormatError) as exc:
        case.parse_package(case_fixture(name))
    assert exc.value.message.startswith(message), exc.value.message
    assert exc.value.reason == "case_format"
    assert count(Framework, tenant.id) == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("CFDocument"), "CFDocument: missing"),
        (lambda d: d["CFDocument"].update(title=""), "CFDocument.title: must not be empty"),
        (lambda d: d.update(CFItems={}), "CFItems: must be a list"),
        (lambda d: d["CFItems"].append("x"), "CFItems[4]: must be an object"),
        (
            lambda d: d["CFItems"].append(copy.deepcopy(d["CFItems"][0])),
            "CFItems[4].identifier: the same identifier as CFItems[0]",
        ),
        (lambda d: d["CFItems"][1].update(fullStatement=7), "CFItems[1].fullStatement: must be"),
        (
            lambda d: d["CFAssociations"][0].pop("originNodeURI"),
            "CFAssociations[0].originNodeURI: missing",
        ),
        (
            lambda d: d["CFAssociations"][0].update(sequenceNumber="1"),
            "CFAssociations[0].sequenceNumber: must be a whole number",
        ),
    ],
)
def test_each_rule_names_its_element(mutate, message):
    data = case_fixture("valid_flat.json")
    mutate(data)
    with pytest.raises(case.CaseFormatError) as exc:
        case.parse_package(data)
    assert exc.value.message.startswith(message), exc.value.message


def test_other_association_types_do_not_change_the_tree():
    data = case_fixture("valid_flat.json")
    extra = copy.deepcopy(data["CFAssociations"][0])
    extra.update(associationType="isRelatedTo", identifier="6c1f8f0e-8c1a-4f4b-9a55-2f1e7f3d9c01")
    extra["destinationNodeURI"] = {
        "identifier": "not-even-a-uuid-elsewhere",
        "uri": "x",
        "title": "x",
    }
    data["CFAssociations"].append(extra)
    package = case.parse_package(data)
    assert all(parent is None for parent, _ in package.parents.values())


def test_export_round_trip_changes_nothing(tenant):
    result = case.import_package(
        actor_in(tenant), case.parse_package(case_fixture("valid_nested.json"))
    )
    exported = case_export.export_package(services.get_framework(tenant.id, result.framework.id))
    assert set(exported) == {"CFDocument", "CFItems", "CFAssociations"}
    assert exported["CFDocument"]["identifier"] == result.framework.identifier
    assert all(a["associationType"] == "isChildOf" for a in exported["CFAssociations"])
    again = case.import_package(actor_in(tenant), case.parse_package(exported))
    assert (again.created, again.revised, again.retired) == (0, 0, 0)
    assert again.unchanged == 6


def test_builtin_nace_exports_as_a_valid_package(tenant):
    fw = services.ensure_builtin_frameworks(tenant.id)
    package = case.parse_package(case_export.export_package(fw))
    assert [i.name for i in package.items][:2] == ["Career & Self-Development", "Communication"]
    assert package.identifier == fw.identifier
