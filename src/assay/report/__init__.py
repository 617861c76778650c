"""Static reports: a self-contained HTML file per run or suite, with SVG charts."""

from assay.report.html import (
    LeaderboardRow,
    ReportData,
    RunInfo,
    SampleView,
    render_html_report,
    write_html_report,
)

__all__ = [
    "LeaderboardRow",
    "ReportData",
    "RunInfo",
    "SampleView",
    "render_html_report",
    "write_html_report",
]
