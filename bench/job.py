"""One weekly job in its own process, so its peak memory (ru_maxrss) is its own: prints one JSON line.

`python -m bench.job missed|claims DATABASE_URL NOW_ISO`
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime

from schedules.missed import detect_missed_tests
from service import claim_generation, db


def main(job: str, url: str, now_iso: str) -> None:
    now = datetime.fromisoformat(now_iso)
    factory = db.make_sessionmaker(db.make_engine(url))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with factory() as session:
        started = time.perf_counter()
        if job == "missed":
            outcome = detect_missed_tests(session, now)
        else:
            outcome = claim_generation.generate_claims(session, now)
            outcome = {k: v for k, v in outcome.items() if k != "skipped"}
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"job": job, "seconds": round(seconds, 2), "peak_rss_mb": round(peak / 1024, 1),
                      "baseline_rss_mb": round(before / 1024, 1), "outcome": outcome}, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:4])
