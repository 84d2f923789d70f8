"""The pages benchmark (benchmarks/pages.py) on a tiny SQLite run: every page it measures
answers a page (200, HTML, a <main> element), and its last line names the issue's nine pages
with their figures; an answer that is not a page is an error the run reports. And posts.py,
which measures the soak's two form POSTs the same way."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "pages.py"


def _pages(monkeypatch: pytest.MonkeyPatch, instance: Path) -> ModuleType:
    """benchmarks/pages.py, loaded as the script loads (it puts its folder on sys.path: put
    back after the test), with the tool's instance folder in ``instance``."""
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(instance))
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("benchmarks_pages", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_tiny_run_measures_every_page(capsys, tmp_path, monkeypatch):
    pages = _pages(monkeypatch, tmp_path)

    code = pages.main(["--db", "sqlite", "--requests", "3", "--warmups", "1", "--students", "20"])

    out = capsys.readouterr().out
    assert code == 0, out
    last = json.loads(out.strip().splitlines()[-1])
    assert last["database"] == "sqlite"
    assert list(last["pages"]) == list(pages.PAGES)
    assert set(last["extra_pages"]) == {"course_progress_demo", "advisor_home"}
    for label, figures in {**last["pages"], **last["extra_pages"]}.items():
        assert figures["requests"] == 3, label
        assert 0 < figures["median_ms"] <= figures["p95_ms"], label
        assert figures["statements"] > 0, label


@pytest.mark.slow
def test_an_answer_that_is_not_a_page_is_an_error(tmp_path, monkeypatch):
    pages = _pages(monkeypatch, tmp_path)
    args = argparse.Namespace(requests=3, warmups=1)

    with pages.bench_on(f"sqlite:///{tmp_path}/bench.db", args, None) as bench:
        pages.load_demo(bench.app)
        lid = pages.launch(bench, pages.STUDENT)
        missing = pages.measure(bench, "missing", "/internships/999999", lid)
        healthz = pages.measure(bench, "healthz", "/healthz", lid)

    assert missing == {}
    assert healthz == {}
    assert bench.errors == [
        "missing (GET /internships/999999): HTTP 404",
        "healthz (GET /healthz): HTTP 200 but application/json",
    ]


POSTS = BENCHMARK.with_name("posts.py")


@pytest.mark.slow
def test_a_tiny_posts_run_measures_both_posts(capsys, tmp_path, monkeypatch):
    """benchmarks/posts.py: the hours and award POSTs each answer 303 and are measured."""
    _pages(monkeypatch, tmp_path)  # its folder on sys.path, the instance folder set
    spec = importlib.util.spec_from_file_location("benchmarks_posts", POSTS)
    assert spec is not None and spec.loader is not None
    posts = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, posts)
    spec.loader.exec_module(posts)

    code = posts.main(["--db", "sqlite", "--requests", "2"])

    out = capsys.readouterr().out
    assert code == 0, out
    last = json.loads(out.strip().splitlines()[-1])
    assert last["database"] == "sqlite"
    assert set(last["posts"]) == {"hours", "award"}
    for label, figures in last["posts"].items():
        assert figures["requests"] == 2, label
        assert figures["statements"] > 0, label
