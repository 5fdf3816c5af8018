"""deploy/prometheus/alerts.yml names only metrics the service exports, with the fields Prometheus needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import Counter, Gauge, Histogram

from service import metrics

RULES = Path(__file__).resolve().parents[1] / "deploy" / "prometheus" / "alerts.yml"


def exported_names() -> set[str]:
    """Every sample name the service's families produce (a counter's _total, a histogram's _bucket...)."""
    names = set()
    for metric in vars(metrics).values():
        if isinstance(metric, Counter):
            names.add(f"{metric._name}_total")
        elif isinstance(metric, Histogram):
            names.update(f"{metric._name}{suffix}" for suffix in ("_bucket", "_count", "_sum"))
        elif isinstance(metric, Gauge):
            names.add(metric._name)
    return names


def test_every_rule_is_complete_and_names_exported_metrics() -> None:
    document = yaml.safe_load(RULES.read_text())
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    assert len(rules) >= 4
    exported = exported_names()
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]
        used = set(re.findall(r"\bscreening_[a-z_]+\b", rule["expr"]))
        assert used and used <= exported, (rule["alert"], used - exported)
    covered = {name for rule in rules for name in re.findall(r"\bscreening_[a-z_]+\b", rule["expr"])}
    # The four: a stale list, a failing refresh, p99, audit records spilling.
    assert {"screening_list_age_seconds", "screening_list_refresh_failures_total",
            "screening_rpc_duration_seconds_bucket", "screening_audit_spilled_records_total"} <= covered  # fmt: skip
