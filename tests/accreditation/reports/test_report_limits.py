"""PDFs made during a request are bounded: one at a time per person, a few per process; when
full the person gets a page that says so instead of a pile-up of waiting requests."""

from __future__ import annotations

import threading
from typing import Any

from accreditation.reports import views as report_views

from .conftest import World
from .test_views import get

BUSY = "Career Credit is busy making other reports; try again in a minute."


def test_report_pdfs_are_limited_per_person_and_per_process(world: World, app, monkeypatch):
    sid = world.ids["amara"]
    # positive control: a report is made when nothing else is
    assert get(world.amara, "/reports/me/report.pdf").data.startswith(b"%PDF")

    monkeypatch.setitem(app.config, "REPORTS_AT_ONCE", 1)
    monkeypatch.setitem(app.config, "REPORTS_PER_USER", 1)
    entered, release = threading.Event(), threading.Event()
    real = report_views.render_pdf

    def held(*args: Any, **kwargs: Any) -> bytes:
        entered.set()
        assert release.wait(30), "the test never released the report"
        return real(*args, **kwargs)

    monkeypatch.setattr(report_views, "render_pdf", held)
    first: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: first.update(resp=get(world.advisor, f"/reports/students/{sid}/report.pdf"))
    )
    worker.start()
    try:
        assert entered.wait(30)
        # the same person asks again while the first is being made
        again = get(world.advisor, f"/reports/students/{sid}/report.pdf")
        assert again.status_code == 429
        assert "still making your previous report" in again.get_data(as_text=True)
        # another person: every slot of the process is taken
        other = get(world.amara, "/reports/me/report.pdf")
        assert other.status_code == 503
        assert BUSY in other.get_data(as_text=True)
    finally:
        release.set()
        worker.join()
    assert first["resp"].status_code == 200 and first["resp"].data.startswith(b"%PDF")
    monkeypatch.setattr(report_views, "render_pdf", real)
    assert get(world.amara, "/reports/me/report.pdf").status_code == 200  # slot given back
