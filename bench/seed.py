"""Seeding the demo at benchmark scale on PostgreSQL.

    .venv/bin/python bench/seed.py [--items 10000] [--levels 6]

Prints the time `seed_demo --items 10000 --levels 6` takes on a fresh PostgreSQL database
(floor: under 60 s), then times a second run (nothing to add; it must stay fast).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import PYTHON, ROOT, bench_database, verdict

FLOOR_SECONDS = 60.0


def timed_seed(environment: dict, items: int, levels: int) -> float:
    started = time.monotonic()
    subprocess.run(
        [PYTHON, "manage.py", "seed_demo", "--items", str(items), "--levels", str(levels)],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--levels", type=int, default=6)
    args = parser.parse_args()
    with bench_database("seed") as environment:
        first = timed_seed(environment, args.items, args.levels)
        second = timed_seed(environment, args.items, args.levels)
    passed = first < FLOOR_SECONDS
    print(
        f"seed_demo --items {args.items} --levels {args.levels} on PostgreSQL: {first:.1f} s; floor {FLOOR_SECONDS:.0f} s -> {verdict(passed)}"
    )
    print(f"second run (nothing new to add): {second:.1f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
