"""JSON fixtures shaped like Canvas's and Moodle's documented responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(system: str, name: str) -> Any:
    return json.loads((FIXTURES / system / name).read_text())
