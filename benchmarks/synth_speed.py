"""How fast the synthetic enterprise generator writes events (run on demand, prints figures).

.venv/bin/python benchmarks/synth_speed.py [--events 1000000] [--humans 2000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from agentaudit.synth import config_for, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--humans", type=int, default=2_000)
    parser.add_argument("--profile", default="level3")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_for(args.profile, humans=args.humans, events=args.events)
        started = time.perf_counter()
        result = generate(Path(tmp) / "bench", cfg)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in result.files)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"profile {args.profile}, {args.humans:,} humans, {result.truth['nhis']['active']:,} NHIs"
    )
    print(
        f"events written : {result.total_events:,} in {len(result.files)} files "
        f"({size / 1e6:,.1f} MB)"
    )
    print(f"time           : {seconds:,.1f} s  ({result.total_events / seconds:,.0f} events/s)")
    print(f"peak RSS       : {peak:,.0f} MB")


if __name__ == "__main__":
    main()
