"""A Grafana dashboard over the server's Prometheus metrics, built as code.

:func:`grafana_dashboard` builds it with Grafana's own dashboard-as-code library
(grafana-foundation-sdk) rather than hand-written JSON: coverage, test pass rate, findings by
severity of each project's last release, releases by outcome, gate failures by check, p95
request latency and error rate by route, and the log's append rate and size. Every panel
queries a Prometheus data source chosen when the dashboard is imported (``${datasource}``).
:data:`PANEL_QUERIES` lists the panels' PromQL, which the tests run against a real Prometheus.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

__all__ = ["PANEL_QUERIES", "grafana_dashboard"]

#: ``(title, unit, PromQL, legend)`` of each panel, in order.
PANEL_QUERIES: tuple[tuple[str, str, str, str], ...] = (
    ("Coverage of the last release", "percentunit", "liturgia_release_coverage_ratio",
     "{{project}}"),
    ("Test pass rate of the last release", "percentunit", "liturgia_release_tests_pass_ratio",
     "{{project}}"),
    ("Findings of the last release by severity", "short",
     "sum by (project, severity) (liturgia_release_findings)", "{{project}} {{severity}}"),
    ("Releases by outcome", "short", "sum by (project, decision) (liturgia_releases_total)",
     "{{project}} {{decision}}"),
    ("Gate failures by check", "short", "sum by (check) (liturgia_gate_failures_total)",
     "{{check}}"),
    ("p95 request latency by route", "s",
     "histogram_quantile(0.95, sum by (le, route) "
     "(rate(liturgia_http_request_duration_seconds_bucket[5m])))", "{{route}}"),
    ("Error rate (5xx share of requests)", "percentunit",
     "(sum(rate(liturgia_http_request_duration_seconds_count{status=~\"5..\"}[5m])) or vector(0))"
     " / "
     "clamp_min(sum(rate(liturgia_http_request_duration_seconds_count[5m])), 1e-9)", "5xx"),
    ("Log append rate", "ops", "sum(rate(liturgia_log_appends_total[5m]))", "appends/s"),
    ("Log size", "short", "liturgia_log_tree_size", "entries"),
)  # fmt: skip


def grafana_dashboard(title: str = "liturgia cockpit") -> bytes:
    """The dashboard as Grafana JSON (sorted keys, two-space indent, final newline).

    The same call gives the same bytes (no timestamps, no random ids).
    """
    source = DataSourceRef(type_val="prometheus", uid="${datasource}")
    built = dashboard.Dashboard(title).uid("liturgia-cockpit").tags(["liturgia"])
    for title_, unit, query, legend in PANEL_QUERIES:
        built = built.with_panel(
            timeseries.Panel()
            .title(title_)
            .unit(unit)
            .datasource(source)
            .with_target(prometheus.Dataquery().expr(query).legend_format(legend).ref_id("A"))
        )
    text = JSONEncoder(sort_keys=True, indent=2).encode(built.build())
    return (text + "\n").encode("utf-8")
