"""US English (the primary market) in every text a person reads: the templates and the string
literals of the app packages (messages, labels, emails, PDFs, CSV headers). A British spelling
fails the test, naming the file and the line.

Not text a person reads, so not scanned: docstrings and comments, and a literal that is a bare
lower-case name (``"cancelled"``, ``"enrolment"``, ``"pseudonymise"``): database values, table
names and command names, which keep their spelling so stored rows and scripts keep working."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lti_tool", "internships", "credit", "accreditation", "connectors")

BRITISH = re.compile(
    r"\b("
    r"authoris\w*|organis\w*|recognis\w*|summaris\w*|prioritis\w*|normalis\w*|customis\w*"
    r"|personalis\w*|finalis\w*|emphasis(e|ed|es|ing)|realis(e|ed|es|ing)|minimis\w*"
    r"|maximis\w*|categoris\w*|apologis\w*|analys(e|ed|es|ing)|utilis\w*|standardis\w*"
    r"|synchronis\w*|optimis\w*|initialis\w*|memoris\w*|visualis\w*|specialis\w*|criticis\w*"
    r"|familiaris\w*|sanitis\w*|randomis\w*|pseudonymis\w*|anonymis\w*"
    r"|practis(e|ed|es|ing)|licence\w*|catalogue\w*|judgement\w*|acknowledgement\w*"
    r"|colour\w*|behaviour\w*|favour\w*|honour\w*|labour\w*|neighbour\w*|endeavour\w*"
    r"|centre\w*|programme\w*|theatre\w*|metre\w*|fibre\w*|cheque\w*"
    r"|enrol|enrols|enrolment\w*|fulfil|fulfils|fulfilment|defence|offence"
    r"|cancelled|cancelling|travelled|travelling|labelled|labelling|modelled|modelling"
    r"|counsellor\w*|artefact\w*|grey|whilst|amongst|learnt|spelt|ageing|per cent"
    r")\b",
    re.IGNORECASE,
)
NAME_LITERAL = re.compile(r"^[a-z_.]+$")
QUOTED_NAME = re.compile(r"""(["'])[a-z_.]+\1""")
# The CLI command keeps its name (``flask privacy pseudonymise``); texts that name it say so.
COMMAND_NAMES = ("export|pseudonymise|erase", "(export, pseudonymise, erase)")
# Text in a file another change is editing at the same time; remove the entry with the fix
# (the test fails when an entry is no longer needed).
PENDING: set[tuple[str, str]] = set()

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
STRING = re.compile(r""""[^"]*"|'[^']*'""")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or bare string statements."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def python_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal in a module a person may read."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and not NAME_LITERAL.match(node.value)
        ):
            yield node.lineno, node.value


def _tag_strings(match: re.Match[str]) -> str:
    """A Jinja tag reduced to the strings it shows (names and code are not text), keeping its
    line breaks so line numbers stay right."""
    tag = match.group(0)
    strings = [s for s in STRING.findall(tag) if not QUOTED_NAME.fullmatch(s)]
    return " ".join(strings) + "\n" * tag.count("\n")


def template_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of a template: its markup and text, and the strings inside its tags."""
    source = path.read_text(encoding="utf-8")
    source = JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    source = JINJA_TAG.sub(_tag_strings, source)
    yield from enumerate(source.splitlines(), start=1)


def british_spellings(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, word) of every British spelling under ``root``'s templates and packages."""
    found = []
    sources = [(p, python_texts) for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))]
    sources += [(p, template_texts) for p in sorted((root / "templates").rglob("*.html"))]
    for path, texts in sources:
        for line, text in texts(path):
            for name in COMMAND_NAMES:
                text = text.replace(name, "")
            for match in BRITISH.finditer(text):
                found.append((path.relative_to(root).as_posix(), line, match.group(0)))
    return found


def test_every_text_a_person_reads_is_in_us_english():
    found = british_spellings(ROOT)
    pending = {(file, word.lower()) for file, _, word in found} & PENDING
    problems = [
        f"{file}:{line}: {word!r}"
        for file, line, word in found
        if (file, word.lower()) not in pending
    ]
    assert not problems, "British spellings (US English is the primary market):\n" + "\n".join(
        problems
    )
    assert pending == PENDING, f"no longer needed in PENDING: {PENDING - pending}"


def test_the_scan_names_file_and_line_and_skips_names_and_code(tmp_path):
    (tmp_path / "internships").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "internships" / "views.py").write_text(
        '"""Docstrings may say organise."""\n'
        'STATUS = "cancelled"  # a database value\n'
        'MESSAGE = (\n    "Your colour was "\n    "saved.")\n'
        'HINT = f"Authorise {STATUS} again."\n',
        encoding="utf-8",
    )
    (tmp_path / "templates" / "page.html").write_text(
        '{# a comment: organise #}\n<p>{{ "x" if status == "cancelled" }}</p>\n'
        '{% for e in enrolments %}\n<td>{{ {"a": "Cancelled"}[e] }}</td>{% endfor %}\n'
        "<h1>Centre</h1>\n",
        encoding="utf-8",
    )
    assert british_spellings(tmp_path) == [
        ("internships/views.py", 4, "colour"),
        ("internships/views.py", 6, "Authorise"),
        ("templates/page.html", 4, "Cancelled"),
        ("templates/page.html", 5, "Centre"),
    ]
