"""`screening eval`: generate the labelled dataset, or screen it and print recall, false positives and latency.

    screening eval --generate [--out DIR]     write DIR/cases.jsonl and DIR/manifest.json (default .eval-data/)
    screening eval [--data DIR] [--json F]    evaluate (generating the dataset first if DIR has none)

Every list is parsed from the offline mirror into memory (no Redis), and the
state is whatever `ScreeningState.build` makes with the engine's default matcher
factory, so a new matcher is measured as soon as the engine uses it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from service.evaluation.defaults import DEFAULT_DATA, DEFAULT_SEED, Sizes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from service.engine.state import LoadedList
    from service.evaluation import dataset as ds
    from service.evaluation import metrics

# The harness itself (lists, matcher, gRPC types) is imported in main(): building
# the `screening` parser must stay fast for every other sub-command.


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Evaluate matching and decisions on a labelled dataset built from the real lists: per-category recall, "
        "top-1 accuracy and false-positive rate, a threshold sweep and Screen latency. --generate writes the "
        "dataset (deterministic for a seed) and stops."
    )
    parser.add_argument("--generate", action="store_true", help="write the dataset to --out and stop")
    parser.add_argument("--data", "--out", dest="data", default=str(DEFAULT_DATA),
                        help=f"dataset directory (default {DEFAULT_DATA}/, git-ignored)")  # fmt: skip
    parser.add_argument("--mirror", help="offline mirror holding every list (default ../shared/data/mirror-2023-12)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"--generate: seed (default {DEFAULT_SEED})")
    parser.add_argument("--per-category", type=int, default=Sizes.per_category,
                        help=f"--generate: positives per category (default {Sizes.per_category})")  # fmt: skip
    parser.add_argument("--negatives", type=int, default=Sizes.negatives,
                        help=f"--generate: plain negatives (default {Sizes.negatives})")  # fmt: skip
    parser.add_argument("--hard-per-category", type=int, default=Sizes.hard_per_category,
                        help=f"--generate: hard negatives per category (default {Sizes.hard_per_category})")  # fmt: skip
    parser.add_argument("--matcher", choices=("default", "exact"), default="default",
                        help="default: the engine's default factory; exact: the normalised-exact baseline")  # fmt: skip
    parser.add_argument("--json", dest="json_path", metavar="FILE", help="also write every figure to FILE as JSON")
    parser.add_argument("--examples", type=int, default=0, metavar="N",
                        help="print up to N failed cases per category (misses, false positives)")  # fmt: skip
    parser.add_argument("--peer", choices=("nomenklatura",),
                        help="also score a stratified sample with a peer matcher (nomenklatura logic-v2; pip install '.[peer]')")  # fmt: skip
    parser.add_argument("--peer-sample", type=int, default=1000, metavar="N",
                        help="--peer: cases in the stratified sample (default 1000; 0 = all)")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    from service.evaluation import dataset as ds
    from service.evaluation import metrics
    from service.evaluation.lists import (
        DEFAULT_MIRROR,
        build_state,
        default_factory,
        load_mirror,
        peak_resident_mb,
        resident_mb,
    )

    if getattr(args, "peer", None):
        from service.evaluation import peer

        if not peer.available():
            print(f"error: {peer.INSTALL_HINT}", file=sys.stderr)
            return 2
    started = time.perf_counter()
    mirror = Path(args.mirror) if args.mirror else DEFAULT_MIRROR
    if not mirror.is_dir():
        print(f"error: {mirror} not found; pass --mirror with an offline mirror of the lists", file=sys.stderr)
        return 2
    data_dir = Path(args.data)
    rss_start = resident_mb()
    lists = load_mirror(mirror)
    parse_s = time.perf_counter() - started
    rss_lists = resident_mb()

    if args.generate or not (data_dir / ds.CASES_FILE).is_file():
        if not args.generate:
            print(f"no dataset in {data_dir}/: generating it first")
        sizes = Sizes(args.per_category, args.negatives, args.hard_per_category)
        generated = ds.generate(lists, args.seed, sizes)
        cases_path, manifest_path = ds.write_dataset(generated, data_dir)
        _print_generated(generated, cases_path, manifest_path, time.perf_counter() - started)
        if args.generate:
            return 0

    cases = ds.read_cases(data_dir)
    manifest = ds.read_manifest(data_dir)
    if args.matcher == "exact":
        from service.engine.state import build_exact_matcher

        built = build_state(lists, build_exact_matcher)
    else:
        built = build_state(lists, default_factory)
    rss_state = resident_mb()
    screen_started = time.perf_counter()
    outcomes = metrics.screen_all(cases, built.state, set(lists))
    screen_s = time.perf_counter() - screen_started

    report = {
        "matcher": {"algorithm": built.state.matcher.algorithm, "factory": built.factory_name},
        "policy": {"version": built.state.policy.version, "match_threshold": built.state.policy.match_threshold,
                   "review_threshold": built.state.policy.review_threshold, "direction": "export"},
        "lists": {list_id: {"version": loaded.meta.version, "entries": len(loaded.entries)} for list_id, loaded in lists.items()},
        "dataset": {"directory": str(data_dir), "cases": len(cases), "seed": manifest.get("seed"),
                    "stale_versions": _stale_versions(manifest, lists)},
        "timing_s": {"parse_lists": round(parse_s, 3), "index_build": round(built.build_seconds, 3),
                     "screen_all": round(screen_s, 3), "total": round(time.perf_counter() - started, 3)},
        "memory_mb": {"rss_start": round(rss_start, 1), "rss_after_lists": round(rss_lists, 1),
                      "rss_after_index": round(rss_state, 1), "index_delta": round(rss_state - rss_lists, 1),
                      "peak": round(peak_resident_mb(), 1)},
        "categories": [row.to_json() for row in metrics.table(outcomes)],
        "sweep": [point.to_json() for point in metrics.sweep(outcomes)],
        "latency": metrics.latency(outcomes),
    }  # fmt: skip
    _print_report(report, outcomes, args.examples)
    if getattr(args, "peer", None):
        report["peer"] = peer.compare(cases, lists, built.state, set(lists), args.peer_sample, args.seed)
        peer.print_comparison(report["peer"], built.state.matcher.algorithm)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json_path}")
    return 0


def _stale_versions(manifest: dict[str, object], lists: Mapping[str, LoadedList]) -> list[str]:
    """Lists whose version differs from the one the dataset was generated from: expected ids may be off."""
    generated_from = manifest.get("lists", {})
    assert isinstance(generated_from, dict)
    return sorted(
        list_id for list_id, loaded in lists.items()
        if list_id in generated_from and generated_from[list_id].get("version") != loaded.meta.version
    )  # fmt: skip


# ---------------------------------------------------------------- printing


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _print_generated(dataset: ds.Dataset, cases_path: Path, manifest_path: Path, seconds: float) -> None:
    manifest = dataset.manifest
    kinds = manifest["kinds"]
    assert isinstance(kinds, dict)
    print(f"wrote {cases_path} ({len(dataset.cases):,} cases: {', '.join(f'{n:,} {k}' for k, n in kinds.items())}) "
          f"and {manifest_path} in {seconds:.1f} s, seed {manifest['seed']}")  # fmt: skip
    categories = manifest["categories"]
    assert isinstance(categories, dict)
    items = [f"{c} {n}" for c, n in categories.items()]
    for start in range(0, len(items), 6):
        print("  " + ", ".join(items[start : start + 6]))
    by_list = manifest["positives_by_list"]
    assert isinstance(by_list, dict)
    print(f"  positives by list: {', '.join(f'{k} {v}' for k, v in by_list.items())}")
    dropped = manifest["dropped_as_listed"]
    assert isinstance(dropped, dict)
    print(f"  negatives dropped because the name is listed: {sum(dropped.values())}"
          + (f" ({', '.join(f'{k} {v}' for k, v in dropped.items())})" if dropped else ""))  # fmt: skip


def _print_report(report: dict[str, object], outcomes: Sequence[metrics.Outcome], examples: int) -> None:
    from service.evaluation import dataset as ds
    from service.evaluation import metrics

    r: dict = report  # type: ignore[type-arg]
    policy, timing, memory, data = r["policy"], r["timing_s"], r["memory_mb"], r["dataset"]
    entries = sum(v["entries"] for v in r["lists"].values())
    print(f"matcher  {r['matcher']['algorithm']} ({r['matcher']['factory']}); policy {policy['version']}: "
          f"match >= {policy['match_threshold']:.2f}, review >= {policy['review_threshold']:.2f}; direction export")
    print(f"lists    {len(r['lists'])} lists, {entries:,} entries, parsed in {timing['parse_lists']:.1f} s")
    print(f"index    ScreeningState.build {timing['index_build']:.2f} s; RSS {memory['rss_after_lists']:.0f} MB after "
          f"parsing -> {memory['rss_after_index']:.0f} MB after build (+{memory['index_delta']:.0f} MB), "
          f"peak {memory['peak']:.0f} MB")
    print(f"dataset  {data['directory']}/{ds.CASES_FILE}: {data['cases']:,} cases, seed {data['seed']}")
    if data["stale_versions"]:
        print(f"warning  generated from other versions of: {', '.join(data['stale_versions'])}; regenerate with --generate")
    print()
    print(f"{'kind':<14} {'category':<22} {'cases':>6} {'recall':>8} {'top-1':>8} {'FPR':>7}")
    previous_kind = ""
    for row in r["categories"]:
        if row["category"] == "ALL" and previous_kind != "ALL":
            print("-" * 68)
        previous_kind = "ALL" if row["category"] == "ALL" else row["kind"]
        errors = f"  ({row['errors']} rejected)" if row["errors"] else ""
        print(f"{row['kind']:<14} {row['category']:<22} {row['cases']:>6} {_pct(row['recall']):>8} "
              f"{_pct(row['top1']):>8} {_pct(row['fpr']):>7}{errors}")
    print()
    print(f"threshold sweep: best matcher score per case (Matcher.find, min_score {metrics.SWEEP[0]:.2f})")
    print(f"  {'score >=':>8} {'recall':>8} {'FPR neg':>8} {'FPR hard':>9}")
    for point in r["sweep"]:
        mark = ("  <- match threshold" if abs(point["threshold"] - policy["match_threshold"]) < 1e-9
                else "  <- review threshold" if abs(point["threshold"] - policy["review_threshold"]) < 1e-9 else "")
        print(f"  {point['threshold']:>8.2f} {_pct(point['recall']):>8} {_pct(point['fpr_negative']):>8} "
              f"{_pct(point['fpr_hard_negative']):>9}{mark}")
    lat = r["latency"]
    print()
    print(f"latency  screen_request p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms, max {lat['max_ms']:.1f} ms "
          f"({lat['calls']:,} calls)")
    print(f"runtime  {timing['total']:.1f} s (parse {timing['parse_lists']:.1f}, index {timing['index_build']:.1f}, "
          f"screen+sweep {timing['screen_all']:.1f})")  # fmt: skip
    if examples:
        _print_examples(outcomes, examples)


def _print_examples(outcomes: Sequence[metrics.Outcome], limit: int) -> None:
    from service.evaluation.dataset import POSITIVE

    print()
    shown: dict[str, int] = {}
    for o in outcomes:
        failed = not o.found if o.case.kind == POSITIVE else o.flagged
        if not failed or shown.get(o.case.category, 0) >= limit:
            continue
        shown[o.case.category] = shown.get(o.case.category, 0) + 1
        got = ", ".join(f"{lid}/{eid} {score:.2f}" for lid, eid, score in o.matches[:2]) or "no match"
        source = f" <- {o.case.source[2]!r}" if o.case.source else ""
        print(f"  {o.case.id:<26} {o.case.query.name!r}{source}: {o.decision}, {got} [{o.case.note}]")
