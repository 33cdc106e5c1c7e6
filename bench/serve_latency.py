#!/usr/bin/env python3
"""`coe serve` save-to-served latency: edits one COE of a synthetic library and polls its page
until the edit is served.

    python3 bench/serve_latency.py --site DIR [--coe PATH] [--runs 10] [--file content/...md]

DIR holds content/ (e.g. from ../shared/tools/gen-corpus.py --count 10000 --out DIR/content).
Starts `coe serve --port 0`, waits for the first build, then for each run rewrites the file
(title and a body line changed) and polls the COE's page every 2 ms. Prints per run the
end-to-end time (save → page served, including the watcher's 100 ms debounce), the same minus
100 ms, and what the server reports in /__coe/status: `millis`, from the start of the rebuild to
the edited COE's page and lists being served, its kind (incremental or full), and
`followup_millis`, the time it then took to re-render the other pages that show the COE, and
save → caught up: until the search index and files and every similar list are those of the
edited file (`caught_up`; the server's own figure, from the start of the rebuild, is
`catchup_millis`). Each run waits for that before the next save.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read().decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True)
    ap.add_argument("--coe", default=os.path.join(ROOT, "target", "release", "coe"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--file", help="the COE to edit, relative to the site (default: the middle one)")
    ap.add_argument("--tags", action="store_true",
                    help="also add a tag on every other run (the library's structure changes)")
    ap.add_argument("--pause", type=float,
                    help="seconds between a run's pages being complete and the next save, instead of "
                         "waiting for the catch-up (a save that lands during it)")
    args = ap.parse_args()

    content = os.path.join(args.site, "content")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(content) for f in fs if f.endswith(".md"))
    path = os.path.join(args.site, args.file) if args.file else files[len(files) // 2]
    original = open(path, encoding="utf-8").read()
    slug = re.sub(r"[^a-z0-9]+", "-", re.search(r"^id: *(.+)$", original, re.M).group(1).strip().lower()).strip("-")

    env = dict(os.environ, COE_TIMINGS="1")
    log = open(os.path.join(args.site, "serve.log"), "w")
    proc = subprocess.Popen([args.coe, "serve", "--port", "0", "--root", args.site],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    try:
        line = proc.stdout.readline()
        base = re.search(r"http://\S+", line).group(0)
        status = lambda: json.loads(fetch(base + "__coe/status"))
        page = f"{base}coe/{slug}/"
        rows = []
        for run in range(args.runs):
            marker = f"Latency probe {run} {time.time_ns()}"
            text = re.sub(r"^title: .*$", f"title: {marker}", original, count=1, flags=re.M)
            text = text.replace("## Summary\n", f"## Summary\n\nEdited for run {run}.\n\n", 1)
            if args.tags and run % 2 == 0:
                text = re.sub(r"^tags: \[", "tags: [retries, ", text, count=1, flags=re.M)
            before = status()["generation"]
            t0 = time.perf_counter()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            while marker not in fetch(page):
                time.sleep(0.002)
            t1 = time.perf_counter()
            e2e = (t1 - t0) * 1000
            st = status()
            while st["generation"] <= before or not st["complete"]:
                time.sleep(0.01)
                st = status()
            followup = st["followup_millis"]
            while args.pause is None and not st.get("caught_up", True):
                time.sleep(0.01)
                st = status()
            caught = (time.perf_counter() - t0) * 1000
            rows.append((e2e, st["millis"], st["kind"], followup, caught, st.get("catchup_millis", 0)))
            print(f"run {run}: save→served {e2e:7.1f} ms, minus debounce {e2e - 100:7.1f} ms, "
                  f"server: page served after {st['millis']:5d} ms ({st['kind']}), "
                  f"other pages {followup} ms more; save→caught up {caught:7.1f} ms "
                  f"(server {st.get('catchup_millis', 0)} ms)")
            time.sleep(0.3 if args.pause is None else args.pause)
        inc = [r for r in rows if r[2] == "incremental"]
        if inc:
            print(f"median of {len(inc)} incremental: save→served {statistics.median(r[0] for r in inc):.1f} ms, "
                  f"minus debounce {statistics.median(r[0] for r in inc) - 100:.1f} ms, "
                  f"server: page served after {statistics.median(r[1] for r in inc):.0f} ms, "
                  f"other pages {statistics.median(r[3] for r in inc):.0f} ms more, "
                  f"save→caught up {statistics.median(r[4] for r in inc):.0f} ms "
                  f"(server {statistics.median(r[5] for r in inc):.0f} ms)")
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
