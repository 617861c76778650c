"""Static reports: a self-contained HTML file per run or suite, with SVG charts. Rendering only: the
data arrives assembled (`assay.api` builds `ReportData` from the store)."""

from assay.report.html import (
    BenchmarkSection,
    ReportData,
    RunInfo,
    render_html_report,
    write_html_report,
)

__all__ = ["BenchmarkSection", "ReportData", "RunInfo", "render_html_report", "write_html_report"]
