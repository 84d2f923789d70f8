"""One name per role in every text a person reads (issue 17): the templates and the app's
string literals, scanned as ``test_us_english`` scans them.

The names (``lti_tool.words.ROLE_LABELS``): student, instructor (never "faculty", "teacher" or
"professor"), career advisor (or advisor), Career Credit administrator (never "tool
administrator" or "admin"), observer. Not text a person reads, so not scanned: docstrings and
comments, bare lower-case names (role codes such as ``"faculty"``, endpoints), addresses, and
an LMS's own words quoted as it shows them (Canvas's "Admin" menu, an LTI role URI)."""

from __future__ import annotations

import re
from pathlib import Path

from lti_tool.words import ROLE_LABELS, role_name
from tests.test_us_english import PACKAGES, python_texts, template_texts

ROOT = Path(__file__).resolve().parent.parent

OTHER_NAMES = re.compile(
    r"(?<![/#._\w-])(faculty|teachers?|professors?|admins?|tool administrators?)(?![/_\w-]|\.\w)",
    re.IGNORECASE,
)
# Words of an LMS quoted as it shows them: Canvas's account menu ("Admin → Developer Keys").
LMS_WORDS = re.compile(r"\bAdmin →")
ADDRESS = re.compile(r"[^\s\"']*/[^\s\"']*")  # addresses and template paths ("admin/index.html")


def other_role_names(root: Path) -> list[str]:
    """ "file:line: word" of each role named otherwise than its one name."""
    found = []
    sources = [(p, python_texts) for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))]
    sources += [(p, template_texts) for p in sorted((root / "templates").rglob("*.html"))]
    for path, texts in sources:
        for line, text in texts(path):
            text = ADDRESS.sub(" ", LMS_WORDS.sub(" ", text))
            for match in OTHER_NAMES.finditer(text):
                found.append(f"{path.relative_to(root).as_posix()}:{line}: {match.group(0)!r}")
    return found


def test_every_role_has_one_name_in_what_people_read():
    found = other_role_names(ROOT)
    assert not found, "a role named otherwise than its one name:\n" + "\n".join(found)


def test_the_scan_finds_other_names_and_skips_codes_addresses_and_lms_words(tmp_path):
    (tmp_path / "credit").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "credit" / "views.py").write_text(
        '"""Docstrings may say faculty."""\n'
        'ROLE = "faculty"  # a role code\n'
        'MESSAGE = "Only faculty may award credit."\n'
        'HINT = "Ask a tool administrator."\n',
        encoding="utf-8",
    )
    (tmp_path / "templates" / "page.html").write_text(
        '<a href="/home/faculty">Home</a>\n'
        "<li>In Canvas: Admin → Developer Keys</li>\n"
        "<p>Open the admin page.</p>\n",
        encoding="utf-8",
    )
    assert other_role_names(tmp_path) == [
        "credit/views.py:3: 'faculty'",
        "credit/views.py:4: 'tool administrator'",
        "templates/page.html:3: 'admin'",
    ]


def test_a_refusal_names_the_role_in_words():
    assert role_name("faculty") == "instructor"
    assert role_name("admin") == "Career Credit administrator"
    assert ROLE_LABELS["advisor"] == "Career advisor"
