"""Ingest and assess the same generated enterprise with this tree and with an earlier commit,
side by side in one run, alternating, and print each time and the ratio.

    .venv/bin/python benchmarks/ab.py --base 327e4cd --size 1M --runs 2

The earlier commit is checked out with `git worktree` and run from there with this venv
(its dependencies must be the same); the data is scale.py's (generated once, reused).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale import dataset, label, parse_size  # noqa: E402

STEP = """
import sys, time, duckdb, agentaudit
from agentaudit.assess import assess
db, exports = sys.argv[1], sys.argv[2]
t = time.perf_counter()
con = agentaudit.connect(db)
agentaudit.ingest([exports], con)
con.close()
t1 = time.perf_counter()
con = agentaudit.connect(db)
assess(con)
print(t1 - t, time.perf_counter() - t1)
"""


def run(tree: Path, exports: Path, work: Path) -> tuple[float, float]:
    """(ingest seconds, assess seconds) of one fresh database, in its own process."""
    db = work / "ab.duckdb"
    db.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", STEP, str(db), str(exports)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--size", default="1M")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/agentaudit-bench"))
    opts = parser.parse_args()
    opts.work.mkdir(parents=True, exist_ok=True)
    exports = dataset(opts.work, parse_size(opts.size))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), opts.base],
            check=True,
            capture_output=True,
        )
        try:
            times: dict[str, list[tuple[float, float]]] = {"base": [], "this": []}
            for _ in range(opts.runs):
                for name, tree in (("base", base), ("this", ROOT)):
                    t = time.perf_counter()
                    times[name].append(run(tree, exports, opts.work))
                    print(
                        f"  {name}: ingest {times[name][-1][0]:.2f} s, assess "
                        f"{times[name][-1][1]:.2f} s ({time.perf_counter() - t:.0f} s)",
                        flush=True,
                    )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                check=False,
                capture_output=True,
            )
    for i, part in enumerate(("ingest", "assess")):
        b = statistics.median(t[i] for t in times["base"])
        n = statistics.median(t[i] for t in times["this"])
        print(
            f"{label(parse_size(opts.size))} {part}: {opts.base} {b:.2f} s, this tree "
            f"{n:.2f} s, ratio {n / b:.3f}"
        )


if __name__ == "__main__":
    main()
