#!/usr/bin/env python
"""Progress-report PDF benchmark: the time ``accreditation.reports.services.pdf.render_pdf``
takes for a report built in memory (tests/accreditation/reports/pdf_samples.py, no database),
small (3 engagements, 12 weeks, 3 comments) and large (12 engagements, 52 weeks, 40 comments),
warm: one render first (fonts and templates load once per process), then the median and the
slowest of ``--runs``. The last line is one JSON object: ``{"small": {"median_s", "max_s",
"pages", "bytes"}, "large": {...}}``.

    nice -n 10 .venv/bin/python benchmarks/report_pdf.py
    nice -n 10 .venv/bin/python benchmarks/report_pdf.py --runs 5
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = {
    "small": {"engagements": 3, "weeks": 12, "comments": 3},
    "large": {"engagements": 12, "weeks": 52, "comments": 40},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    from pypdf import PdfReader

    from accreditation.reports.services.pdf import render_pdf
    from tests.accreditation.reports.pdf_samples import sample_report

    results = {}
    for size, shape in SIZES.items():
        report = sample_report(**shape)
        pdf = render_pdf(report, "Sandbox University")  # warm
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            pdf = render_pdf(report, "Sandbox University")
            times.append(time.perf_counter() - start)
        results[size] = {
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "pages": len(PdfReader(io.BytesIO(pdf)).pages),
            "bytes": len(pdf),
        }
        print(f"{size}: {results[size]}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
