"""The frameworks Career Credit ships: the NACE Career Readiness Competencies (names only from
NACE; the descriptions are ours — NACE's text is copyrighted) and two program-outcome templates:
ABET Criterion 3 student outcomes (1)-(7) as short paraphrases in our words, and a blank
program framework for AACSB-style learning goals.

Built-in identifiers are name-based UUIDs, the same in every tenant, so a NACE item exported
from one school is recognised by another; template copies get fresh identifiers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

NAMESPACE = uuid.UUID("6f1f3c7e-2b0a-5d1e-9a51-8c3f0e6a4b21")


def builtin_identifier(*parts: str) -> str:
    """A stable UUID for a built-in document or item."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    statement: str


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    kind: str
    title: str
    description: str
    creator: str
    items: tuple[ItemSpec, ...]


NACE = TemplateSpec(
    key="nace",
    kind="competencies",
    title="NACE Career Readiness Competencies",
    description=(
        "The eight career readiness competencies named by the National Association of Colleges "
        "and Employers (2021). Descriptions written by Career Credit; an institution that "
        "licenses NACE's own text can import it as a CASE package."
    ),
    creator="Career Credit (competency names: NACE)",
    items=(
        ItemSpec(
            "CSD",
            "Career & Self-Development",
            "Knows their own strengths and gaps, seeks feedback and learning, and takes "
            "deliberate steps to plan and manage their career.",
        ),
        ItemSpec(
            "COM",
            "Communication",
            "Shares information and ideas clearly in writing and speech, listens well, and adapts "
            "the message to the people receiving it.",
        ),
        ItemSpec(
            "CT",
            "Critical Thinking",
            "Gathers and weighs evidence, questions assumptions, and reaches sound decisions or "
            "solutions to problems.",
        ),
        ItemSpec(
            "EI",
            "Equity & Inclusion",
            "Works respectfully with people of every background, learns about other perspectives, "
            "and helps make the workplace fair and welcoming.",
        ),
        ItemSpec(
            "LEAD",
            "Leadership",
            "Motivates and guides others towards a shared goal, takes initiative, and builds on "
            "the strengths of the people around them.",
        ),
        ItemSpec(
            "PRO",
            "Professionalism",
            "Is dependable and ethical, manages time and commitments, and holds themselves "
            "accountable for the quality of their work.",
        ),
        ItemSpec(
            "TEAM",
            "Teamwork",
            "Builds working relationships, shares responsibility for the team's results, and "
            "handles disagreement constructively.",
        ),
        ItemSpec(
            "TECH",
            "Technology",
            "Chooses and uses digital tools well and responsibly, and learns new ones as the "
            "work requires.",
        ),
    ),
)

ABET = TemplateSpec(
    key="abet",
    kind="program",
    title="ABET Criterion 3 student outcomes",
    description=(
        "A starting point for an engineering or computing program's student outcomes (1)-(7), "
        "paraphrased by Career Credit. Replace the text with your program's adopted wording."
    ),
    creator="Career Credit template (after ABET Criterion 3)",
    items=(
        ItemSpec(
            "1",
            "Solve complex problems",
            "Identify, formulate and solve complex problems by applying principles of "
            "engineering, science and mathematics.",
        ),
        ItemSpec(
            "2",
            "Design to meet needs",
            "Design solutions that meet stated needs while weighing public health, safety and "
            "welfare, and global, cultural, social, environmental and economic factors.",
        ),
        ItemSpec(
            "3",
            "Communicate effectively",
            "Communicate clearly with a range of audiences.",
        ),
        ItemSpec(
            "4",
            "Ethical and professional responsibility",
            "Recognize ethical and professional responsibilities and make informed judgments "
            "that consider the global, economic, environmental and societal impact of solutions.",
        ),
        ItemSpec(
            "5",
            "Work in teams",
            "Work well on a team whose members lead together, build a collaborative and "
            "inclusive environment, set goals, plan tasks and meet objectives.",
        ),
        ItemSpec(
            "6",
            "Experiment and interpret data",
            "Design and carry out experiments, analyze and interpret data, and use judgment to "
            "draw conclusions.",
        ),
        ItemSpec(
            "7",
            "Acquire new knowledge",
            "Acquire and apply new knowledge as needed, using suitable learning strategies.",
        ),
    ),
)

PROGRAM = TemplateSpec(
    key="program",
    kind="program",
    title="Program learning goals",
    description=(
        "A blank framework for a program's learning goals and objectives (for example "
        "AACSB-style assurance of learning). Add a goal, then objectives under it."
    ),
    creator="",
    items=(),
)

TEMPLATES = {spec.key: spec for spec in (ABET, PROGRAM)}
