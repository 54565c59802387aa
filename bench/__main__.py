"""``python -m bench``: throughput against its ceilings and growth, on SQLite and PostgreSQL,
printed as Markdown and written to ``build/bench/`` as ``results.md`` and ``results.json``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench import report
from bench.databases import KINDS
from bench.load import LoadSettings
from bench.throughput import measure_throughput


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--databases", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 16, 64])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median, spread)")
    parser.add_argument("--seconds", type=float, default=2.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds before each window")
    parser.add_argument(
        "--sizes", nargs="+", type=int, default=[1_000, 1_000_000], help="ledger sizes for growth"
    )
    parser.add_argument("--skip", nargs="*", choices=["throughput", "growth"], default=[])
    parser.add_argument("--out", type=Path, default=Path("build/bench"))
    return parser.parse_args()


def main() -> None:
    options = arguments()
    started = time.monotonic()
    settings: dict[str, object] = {
        "runs": options.runs,
        "window_s": options.seconds,
        "warmup_s": options.warmup,
        "workers": options.workers,
        "clients": options.clients,
        "sizes": options.sizes,
    }
    window = LoadSettings(max(options.clients), options.seconds, options.warmup)
    throughput = []
    if "throughput" not in options.skip:
        throughput = [
            measure_throughput(kind, options.workers, options.clients, options.runs, window)
            for kind in options.databases
        ]
    growth_text, growth_json = None, []
    if "growth" not in options.skip:
        from bench.growth import growth_json as as_json
        from bench.growth import growth_markdown, measure_growth

        grown = [measure_growth(kind, options.sizes, options.runs) for kind in options.databases]
        growth_text, growth_json = growth_markdown(grown), [as_json(g) for g in grown]
    about = report.machine()
    text = report.combined_markdown(about, settings, throughput, growth_text)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "results.md").write_text(text)
    document = {
        "machine": about,
        "settings": settings,
        "throughput": [result.as_json() for result in throughput],
        "growth": growth_json,
        "seconds_taken": round(time.monotonic() - started, 1),
    }
    (options.out / "results.json").write_text(json.dumps(document, indent=2))
    print(text)


if __name__ == "__main__":
    main()
