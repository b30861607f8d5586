"""`make bench`: cfstep's performance as measured here, with the floors and the official CLI.

Prints markdown tables and writes bench/results.json. Every timing is a median of repeated
runs, and every ratio compares tools measured side by side in the same run (docs/performance.md):

1. start-up to the run request, wall time and peak RSS of a detached trigger:
   cfstep, a bare curl POST (the floor), Codefresh's official CLI (installed when missing);
2. import cost (`python -X importtime`): `import cfstep.cli`, the trigger and skip paths;
3. polling economy: status requests and detection delay for 10 s … 1 h children, the real
   loop on an accelerated clock, next to the official fixed 5 s poll;
4. fan-out: 10 and 100 children (bench/fanout.py);
5. live logs: a loud child followed (lines/s, peak RSS) and the delay of a line (bench/logs.py);
6. only what changed: 100,000 files, 20,000 changed, 50 globs over 10 children decided, the
   step's own time beside git's (bench/changes.py).

Usage: python bench/run.py [--quick] [--runs N] [--no-official]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import BENCH, PYTHON, load_average, machine, ms, ratio, secs, table

# The targets of docs/performance.md; each is checked against the numbers of this run.
TARGET_TRIGGER_WALL = 0.30
TARGET_TRIGGER_RSS_MB = 35.0
TARGET_SKIP_WALL = 0.15
TARGET_OFFICIAL_RATIO = 6.0
TARGET_HOUR_REQUESTS = 300
TARGET_TEN_SECOND_DELAY = 2.0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    began = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": load_average(),
        "settings": vars(args),
    }
    import startup  # after argparse: `--help` stays instant

    say("1/6 start-up, wall time and peak RSS of a detached trigger")
    results["startup"] = startup.run(
        args.runs, args.official_runs, install_official=args.official, say=say
    )
    import importcost

    say("2/6 import cost")
    results["imports"] = importcost.run(args.import_repeats, say)
    import polling

    say("3/6 polling economy")
    results["polling"] = polling.run(args.seeds, args.schedule_seeds, say)
    say("4/6 fan-out")
    results["fanout"] = _fanout(args, say)
    import logs

    say("5/6 live logs")
    results["logs"] = logs.run(args.log_repeats, logs.LINES, say)
    import changes

    say("6/6 only what changed")
    results["changes"] = changes.run(args.changes_repeats, say)
    results["load_average_after"] = load_average()
    results["bench_seconds"] = round(time.monotonic() - began, 1)
    results["targets"] = _targets(results)
    report = render(results)
    print(report)
    out = Path(args.json)
    out.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    say(f"wrote {out} ({results['bench_seconds']:.0f} s)")
    unmet = [t["name"] for t in results["targets"] if t["met"] is False]
    if unmet:
        say(f"targets not met: {'; '.join(unmet)}")
    return 1 if unmet and args.strict else 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds of start-up runs")
    parser.add_argument("--official-runs", type=int, default=None, help="default: --runs")
    parser.add_argument("--import-repeats", type=int, default=9)
    parser.add_argument("--seeds", type=int, default=5, help="accelerated runs per child length")
    parser.add_argument("--schedule-seeds", type=int, default=1000)
    parser.add_argument("--fanout-repeats", type=int, default=3)
    parser.add_argument("--log-repeats", type=int, default=3)
    parser.add_argument("--changes-repeats", type=int, default=5)
    parser.add_argument(
        "--no-official",
        dest="official",
        action="store_false",
        help="do not install the official CLI (it is still measured if already installed)",
    )
    parser.add_argument("--quick", action="store_true", help="few runs: a smoke test")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    parser.add_argument("--json", default=str(BENCH / "results.json"))
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.import_repeats, args.seeds, args.schedule_seeds = 3, 2, 1, 100
        args.fanout_repeats = args.log_repeats = args.changes_repeats = 1
        args.official_runs = args.official_runs or 2
    if args.official_runs is None:
        args.official_runs = args.runs
    return args


def _fanout(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any] | None:
    """bench/fanout.py (the fan-out engineer's): its JSON document, with its exit code."""
    script = BENCH / "fanout.py"
    if not script.exists():
        say("  bench/fanout.py not found: fan-out not measured")
        return None
    done = subprocess.run(
        [str(PYTHON), str(script), "--json", "-", "--repeats", str(args.fanout_repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        say(f"  bench/fanout.py failed ({done.returncode}): {done.stderr[-400:]}")
        return {"error": done.stderr[-2000:], "exit_code": done.returncode}
    result["exit_code"] = done.returncode
    return result


# --- checking the targets ----------------------------------------------------------------


def _targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    tools = results["startup"]["tools"]
    cfstep, skip = tools["cfstep"], tools["skip"]
    ratios = results["startup"]["ratios"]
    hour = results["polling"]["durations"]["1 h"]["cfstep"]
    ten = results["polling"]["durations"]["10 s"]["cfstep"]
    poll_max = results["polling"]["poll_max_seconds"]
    found = [
        _target(
            "detached trigger, median wall",
            f"≤ {TARGET_TRIGGER_WALL:.2f} s",
            secs(cfstep["wall"]["median"], 3),
            cfstep["wall"]["median"] <= TARGET_TRIGGER_WALL,
        ),
        _target(
            "detached trigger, peak RSS (largest run)",
            f"≤ {TARGET_TRIGGER_RSS_MB:.0f} MB",
            _mb(cfstep["rss_mb"], "max"),
            None if not cfstep["rss_mb"] else cfstep["rss_mb"]["max"] <= TARGET_TRIGGER_RSS_MB,
        ),
        _target(
            "skip path (false condition), median wall",
            f"≤ {TARGET_SKIP_WALL:.2f} s",
            secs(skip["wall"]["median"], 3),
            skip["wall"]["median"] <= TARGET_SKIP_WALL,
        ),
    ]
    official = ratios.get("official_over_cfstep_wall")
    found.append(
        _target(
            "official CLI / cfstep, median wall",
            f"≥ {TARGET_OFFICIAL_RATIO:.0f}x",
            ratio(official)
            if official
            else f"not measured: {results['startup']['official_cli']['note']}",
            None if official is None else official >= TARGET_OFFICIAL_RATIO,
        )
    )
    found += [
        _target(
            "1 h child: status requests (most over the seeds)",
            f"≤ {TARGET_HOUR_REQUESTS}",
            f"{hour['status_requests']['max']:.0f}",
            hour["status_requests"]["max"] <= TARGET_HOUR_REQUESTS,
        ),
        _target(
            "1 h child: detection delay (longest)",
            f"≤ POLL_MAX_SECONDS = {poll_max:.0f} s",
            secs(hour["detection_delay"]["max"]),
            hour["detection_delay"]["max"] <= poll_max,
        ),
        _target(
            "10 s child: detection delay (longest)",
            f"≤ {TARGET_TEN_SECOND_DELAY:.0f} s",
            secs(ten["detection_delay"]["max"]),
            ten["detection_delay"]["max"] <= TARGET_TEN_SECOND_DELAY,
        ),
    ]
    found += _log_targets(results["logs"])
    found.append(_changes_target(results["changes"]))
    return found


def _changes_target(changes: dict[str, Any]) -> dict[str, Any]:
    return _target(
        f"monorepo: {changes['files']:,} files, {changes['changed_files']:,} changed, "
        f"{changes['globs']} globs over {changes['children']} children: the step's own "
        "time beyond git's (slowest)",
        f"≤ {changes['target_own_seconds']:.0f} s",
        secs(changes["worst_own_seconds"], 3),
        changes["met"],
    )


def _log_targets(logs: dict[str, Any]) -> list[dict[str, Any]]:
    rate, rss, delay = logs["lines_per_second"], logs["peak_rss_mb"], logs["latency_median_seconds"]
    goals = logs["targets"]
    return [
        _target(
            "live logs: 200,000 lines (20 secrets) followed",
            f"≥ {goals['lines_per_second']:,.0f} lines/s",
            f"{rate:,.0f} lines/s" if rate else "-",
            bool(rate and rate >= goals["lines_per_second"] and logs["complete"]),
        ),
        _target(
            "live logs: peak RSS while following them",
            f"≤ {goals['peak_rss_mb']:.0f} MB",
            f"{rss:.1f} MB",
            rss <= goals["peak_rss_mb"],
        ),
        _target(
            "live logs: line written → printed, median",
            f"≤ {goals['latency_median_seconds']} s",
            secs(delay, 3),
            delay <= goals["latency_median_seconds"],
        ),
        *_hostile_log_targets(logs),
    ]


def _hostile_log_targets(logs: dict[str, Any]) -> list[dict[str, Any]]:
    """bench/logs.py's many steps, one big event and the tail of a long stored log."""
    goals, steps, event = logs["targets"], logs["many_steps"], logs["big_event"]
    rate = steps["lines_per_second"]
    (stored,) = [t for t in logs["tail"] if t["form"] == "storage JSON"]
    return [
        _target(
            "live logs: 10,000 steps of one line each, all shown",
            f"≥ {goals['steps_lines_per_second']:,.0f} lines/s",
            f"{rate:,.0f} lines/s" if rate else "-",
            bool(rate and rate >= goals["steps_lines_per_second"])
            and steps["lines_shown"] == steps["lines_written"],
        ),
        _target(
            f"live logs: one {event['event_mb']} MB event of 500,000 lines, peak RSS",
            f"≤ {goals['event_peak_rss_mb']:.0f} MB",
            f"{event['peak_rss_mb']:.1f} MB",
            event["peak_rss_mb"] <= goals["event_peak_rss_mb"]
            and event["lines_shown"] == event["lines_written"],
        ),
        _target(
            f"log tail: {stored['log_mb']:.0f} MB of {stored['lines']:,} empty lines, peak RSS",
            f"≤ {goals['tail_peak_rss_mb']:.0f} MB",
            f"{stored['peak_rss_mb']:.1f} MB",
            stored["peak_rss_mb"] <= goals["tail_peak_rss_mb"] and stored["tail_lines_shown"] == 50,
        ),
    ]


def _target(name: str, target: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"name": name, "target": target, "measured": measured, "met": met}


def _mb(entry: dict[str, float] | None, key: str = "median") -> str:
    return "-" if not entry else f"{entry[key]:.1f} MB"


# --- the report ---------------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    parts = [_machine_text(results), _startup_text(results), _imports_text(results)]
    parts += [_polling_text(results), _fanout_text(results), _changes_text(results)]
    parts += [_targets_text(results)]
    return "\n\n".join(p for p in parts if p) + "\n"


def _machine_text(results: dict[str, Any]) -> str:
    m = results["machine"]
    return (
        f"## Machine\n\n{m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB RAM, "
        f"{m['os']}, Linux {m['kernel']}, Python {m['python']}, node {m['node'] or 'absent'}; "
        f"load average {results['load_average_before']} before, "
        f"{results['load_average_after']} after; {results['date']}, "
        f"bench took {results['bench_seconds']:.0f} s."
    )


def _startup_text(results: dict[str, Any]) -> str:
    s = results["startup"]
    rows = []
    for tool in s["tools"].values():
        wall = tool["wall"]
        rows.append(
            [
                tool["label"],
                ms(tool["run_request"]["median"]) if tool["run_request"] else "-",
                ms(tool["first_request"]["median"]) if tool["first_request"] else "-",
                ms(wall["median"]),
                f"{ms(wall['q1'])} - {ms(wall['q3'])}",
                ms(tool["cpu"]["median"]),
                _mb(tool["rss_mb"]),
                tool["requests_per_run"],
                wall["n"],
            ]
        )
    r = s["ratios"]
    heads = ["tool", "start → run request", "start → first request", "wall (median)"]
    heads += ["wall IQR", "CPU user+sys", "peak RSS", "requests", "runs"]
    lines = [
        "## 1. Detached trigger: start-up, wall time, peak RSS (medians)",
        "",
        table(heads, rows),
        "",
        f"- cfstep / curl wall: {ratio(r['cfstep_over_curl_wall'])} "
        f"(paired per round: {ratio(r['cfstep_over_curl_wall_paired'])}); "
        f"start → run request: {ratio(r['cfstep_over_curl_run_request'])}",
        f"- official / cfstep wall: {ratio(r['official_over_cfstep_wall'])} "
        f"(paired per round: {ratio(r['official_over_cfstep_wall_paired'])}); "
        f"start → run request: {ratio(r['official_over_cfstep_run_request'])}; "
        f"peak RSS: {ratio(r['official_over_cfstep_rss'])}",
        f"- official CLI: {s['official_cli']['path'] or 'not measured'} "
        f"({s['official_cli']['note']})",
    ]
    return "\n".join(lines)


def _imports_text(results: dict[str, Any]) -> str:
    imp = results["imports"]
    cli = imp["import_cli"]
    top = ", ".join(f"{t['module']} {t['ms']:.1f}" for t in cli["top_by_cumulative"][1:9])
    selfs = ", ".join(f"{t['module']} {t['ms']:.1f}" for t in cli["top_by_self"][:8])
    rows = []
    for path in ("trigger_path", "skip_path"):
        p = imp[path]
        loaded = [m for m, yes in p["loaded"].items() if yes]
        absent = [m for m, yes in p["loaded"].items() if not yes]
        rows.append(
            [
                path.replace("_", " "),
                f"{p['total_import_ms']:.1f} ms",
                f"{p['beyond_interpreter_ms']:.1f} ms",
                p["modules"],
                ", ".join(loaded) or "-",
                ", ".join(absent) or "-",
            ]
        )
    heads = ["path", "imports (total)", "beyond bare python", "modules"]
    heads += ["loaded (watched)", "not loaded (watched)"]
    return "\n".join(
        [
            "## 2. Import cost (python -X importtime, medians)",
            "",
            f"- `import cfstep.cli`: {cli['cumulative_ms']:.1f} ms cumulative, "
            f"{cli['modules']} modules; bare interpreter start-up imports: "
            f"{imp['interpreter_total_ms']:.1f} ms",
            f"- `import requests` (the HTTP client, trigger path only): "
            f"{imp['import_requests_ms']:.1f} ms alone, {imp['requests_in_trigger_ms']:.1f} ms "
            "inside the trigger path",
            f"- largest under cfstep.cli (cumulative ms): {top}",
            f"- largest own time (ms): {selfs}",
            "",
            table(heads, rows),
        ]
    )


def _polling_text(results: dict[str, Any]) -> str:
    p = results["polling"]
    rows = []
    for label, row in p["durations"].items():
        c, sim, off = row["cfstep"], row["schedule_simulation"], row["official"]
        rows.append(
            [
                label,
                f"{c['status_requests']['median']:.0f}",
                f"{c['detection_delay']['median']:.2f} s / {c['detection_delay']['max']:.2f} s",
                f"{sim['status_requests']['median']:.0f} ({sim['status_requests']['max']:.0f})",
                f"{sim['detection_delay']['median']:.2f} s / {sim['detection_delay']['max']:.2f} s",
                c["connections"],
                off["status_requests"],
                f"{off['mean_detection_delay']:.1f} s / {off['max_detection_delay']:.0f} s",
                f"{c['real_seconds']:.2f} s",
            ]
        )
    heads = ["child", "cfstep requests", "cfstep delay med/max", "schedule sim. (max)"]
    heads += ["sim. delay med/max", "TCP conns", "official requests", "official delay mean/max"]
    heads += ["real time"]
    return "\n".join(
        [
            f"## 3. Polling economy (POLL_MAX_SECONDS={p['poll_max_seconds']:.0f})",
            "",
            f"cfstep: the real loop on the emulator with a shared fake clock, {p['seeds']} "
            f"jitter seeds; schedule simulation: {p['schedule_seeds']} seeds; official: "
            "fixed 5 s poll.",
            "",
            table(heads, rows),
        ]
    )


def _fanout_text(results: dict[str, Any]) -> str:
    f = results.get("fanout")
    head = "## 4. Fan-out (bench/fanout.py: real clock, children of 3 to 10 s, all at once)"
    if not f:
        return f"{head}\n\nnot measured (bench/fanout.py absent)"
    if "error" in f:
        return f"{head}\n\nbench/fanout.py failed: {f['error'][-300:]}"
    note = "" if not f.get("exit_code") else f"\n\nbench/fanout.py exited {f['exit_code']}"
    return f"{head}\n\n{f.get('table', '')}{note}"


def _changes_text(results: dict[str, Any]) -> str:
    c = results["changes"]
    rows = [
        [
            f"{name} (`{shape['first_glob']}` …)",
            f"{shape['children_run']} / {shape['children_skipped']}",
            secs(shape["own_seconds"]["median"], 3),
            secs(shape["own_seconds"]["max"], 3),
            secs(shape["git_seconds"]["median"], 3),
            shape["git_commands"],
        ]
        for name, shape in c["shapes"].items()
    ]
    heads = ["globs written as", "run / skipped", "own (median)", "own (slowest)"]
    heads += ["git (median)", "git commands"]
    wall = c["step_wall_seconds"]
    return "\n".join(
        [
            f"## 6. Only what changed ({c['files']:,} files, {c['changed_files']:,} changed, "
            f"{c['globs']} globs over {c['children']} children, DRY_RUN)",
            "",
            table(heads, rows),
            "",
            f"- the step as a process (`python -m cfstep`, folders): {secs(wall['median'])} "
            f"median wall ({secs(wall['q1'])} - {secs(wall['q3'])}), interpreter, imports and "
            "git included",
        ]
    )


def _targets_text(results: dict[str, Any]) -> str:
    marks = {True: "met", False: "NOT MET", None: "not measured"}
    rows = [[t["name"], t["target"], t["measured"], marks[t["met"]]] for t in results["targets"]]
    return "## Targets\n\n" + table(["what", "target", "measured", ""], rows)


if __name__ == "__main__":
    sys.exit(main())
