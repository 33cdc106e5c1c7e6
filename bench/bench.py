#!/usr/bin/env python3
"""coe benchmark: build times per stage, `coe search` latency and the bytes the static search
page fetches, on the synthetic corpus from ../shared/tools/gen-corpus.py; and, when `hugo` is
installed (apt-get install hugo), Hugo on the same corpus side by side (bench/hugo/: plain
pages and the tags, services and teams taxonomies, no search).

    python3 bench/bench.py [--sizes 1000,10000] [--runs 3] [--no-browser] [--no-hugo]

Builds `target/release/coe` first. Corpora are generated once into target/bench/ (they are
deterministic). Prints Markdown tables; numbers are medians of --runs runs. Clean builds start
with no output folder (both tools); "rebuild" runs over coe's previous output with nothing
changed, "one edit" after appending a sentence to one COE.
"""

import argparse
import gzip
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py")
COE = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "coe")
WORK = os.path.join(ROOT, "target", "bench")
QUERIES = ["dns timeout", "certificate expired", "connection pool exhausted", "config push", "disk full",
           "memory leak", "rollback deploy", "cache stampede", "queue backlog", "rate limit"]


def corpus(n):
    site = os.path.join(WORK, f"corpus-{n}")
    if not os.path.isdir(os.path.join(site, "content")):
        subprocess.run([sys.executable, GEN, "--count", str(n), "--out", os.path.join(site, "content")],
                       check=True, stdout=subprocess.DEVNULL)
    return site


def timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time; returns (wall s, CPU s, peak RSS MB, stderr)."""
    # The previous build's output (~800 MB at 10,000 COEs) is still being written back to disk:
    # flushed first, so that no build is timed with another one's writeback running beside it.
    os.sync()
    p = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + cmd, capture_output=True, text=True, cwd=cwd)
    if p.returncode != 0:
        sys.exit(p.stderr)
    wall, user, system, rss = p.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss) / 1024, p.stderr


TRASH = os.path.join(WORK, "trash")


def discard(path):
    """Moves `path` aside, to be deleted when the benchmark ends.

    Deleting thousands of files just before a timed build slows that build down: ext4 without
    a journal (this machine's disk) will not reuse an inode freed in the last ~30 s, and each
    new file then scans past the freed ones (`recently_deleted` was 40% of a clean 1,000-COE
    build's profile). A fresh CI machine has no such files, so no tool is timed with them.
    """
    if os.path.lexists(path):
        os.makedirs(TRASH, exist_ok=True)
        os.rename(path, os.path.join(TRASH, f"{len(os.listdir(TRASH))}-{os.path.basename(path)}"))


def clean(site, out):
    """As on a fresh CI machine: no output, no index, no manifest."""
    discard(out)
    discard(os.path.join(site, ".coe"))


def build(site, out, fresh=True):
    """One `coe build --verbose`; returns wall s, CPU s, peak RSS (MB) and stage times (ms)."""
    if fresh:
        clean(site, out)
    wall, cpu, rss, err = timed([COE, "build", "--root", site, "--output", out, "--verbose", "--today", "2026-11-26"])
    stages = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^\s{2}(\S[^\d]*?)\s+([\d.]+) ms$", err, re.M)}
    return wall, cpu, rss, stages


def hugo_site(n):
    site = os.path.join(WORK, f"hugo-{n}")
    if not os.path.isdir(os.path.join(site, "content")):
        shutil.copytree(os.path.join(ROOT, "bench", "hugo"), site, dirs_exist_ok=True)
        subprocess.run([sys.executable, GEN, "--count", str(n), "--flavor", "hugo", "--out",
                        os.path.join(site, "content")], check=True, stdout=subprocess.DEVNULL)
    return site


def hugo_build(site):
    out = os.path.join(site, "public-bench")
    discard(out)
    wall, cpu, rss, _ = timed(["hugo", "--quiet", "-d", out], cwd=site)
    return wall, cpu, rss


def one_edit(site, out, runs):
    """Rebuild times after appending a sentence to one COE (restored afterwards)."""
    path = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(site, "content")) for f in fs)[0]
    with open(path) as f:
        original = f.read()
    walls = []
    try:
        for i in range(runs):
            with open(path, "w") as f:
                f.write(original + f"\nEdited for the benchmark, run {i}.\n")
            walls.append(build(site, out, fresh=False)[0])
    finally:
        with open(path, "w") as f:
            f.write(original)
    return statistics.median(walls)


def search_latency(site, runs):
    times = []
    for i in range(runs):
        for q in QUERIES:
            t = time.perf_counter()
            subprocess.run([COE, "search", "--root", site, "--json", q], check=True, stdout=subprocess.DEVNULL)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


class Quiet(http.server.SimpleHTTPRequestHandler):
    log = []

    def log_message(self, fmt, *args):
        Quiet.log.append(urllib.parse.urlparse(self.path).path)


def browser_bytes(out, query):
    """Loads /search/?q=QUERY in headless Chromium; returns the gzip-9 bytes of every script
    and data file the page fetched (HTML and CSS excluded), and the list of files."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return None, []
    handler = lambda *a, **k: Quiet(*a, directory=out, **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Quiet.log = []
    url = f"http://127.0.0.1:{server.server_address[1]}/search/?q={urllib.parse.quote(query)}"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", url],
                       capture_output=True, check=False)
    server.shutdown()
    files = sorted({p for p in Quiet.log if p.startswith("/search/") and not p.endswith("/")})
    total = 0
    for p in files:
        with open(os.path.join(out, p.lstrip("/")), "rb") as f:
            total += len(gzip.compress(f.read(), 9))
    return total, files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-hugo", action="store_true")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    shutil.rmtree(TRASH, ignore_errors=True)
    # Let the filesystem forget any files deleted just now (see `discard`).
    time.sleep(40)
    hugo = None if args.no_hugo else shutil.which("hugo")
    rows, versus = [], []
    for n in [int(s) for s in args.sizes.split(",")]:
        site = corpus(n)
        out = os.path.join(WORK, f"public-{n}")
        results = [build(site, out) for _ in range(args.runs)]
        walls = [r[0] for r in results]
        cpus = [r[1] for r in results]
        rss = max(r[2] for r in results)
        stage_names = list(results[0][3].keys())
        stages = {s: statistics.median(r[3].get(s, 0) for r in results) for s in stage_names}
        rebuild = statistics.median(build(site, out, fresh=False)[0] for _ in range(args.runs))
        edit = one_edit(site, out, args.runs)
        p50, p95 = search_latency(site, args.runs)
        two_word, files = (None, []) if args.no_browser else browser_bytes(out, "dns timeout")
        shards_total = len(os.listdir(os.path.join(out, "search", "t")))
        shards_fetched = sum(1 for f in files if f.startswith("/search/t/"))
        rows.append((n, statistics.median(walls), rss, stages, p50, p95, two_word, shards_fetched, shards_total))
        h = None
        if hugo:
            hs = hugo_site(n)
            hr = [hugo_build(hs) for _ in range(args.runs)]
            h = (statistics.median(r[0] for r in hr), statistics.median(r[1] for r in hr), max(r[2] for r in hr))
        versus.append((n, statistics.median(walls), statistics.median(cpus), rss, rebuild, edit, h))

    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; medians of {args.runs} runs\n")
    print("| COEs | coe clean build: wall / CPU / peak RSS | coe rebuild, nothing changed | coe rebuild, one COE edited | Hugo clean build: wall / CPU / peak RSS | coe ÷ Hugo: wall / memory |")
    print("|---|---|---|---|---|---|")
    for n, wall, cpu, rss, rebuild, edit, h in versus:
        hs = "n/a (hugo not installed)" if h is None else f"{h[0]:.2f} s / {h[1]:.2f} s / {h[2]:.0f} MB"
        ratio = "" if h is None else f"{wall / h[0]:.2f} / {rss / h[2]:.2f}"
        print(f"| {n} | {wall:.2f} s / {cpu:.2f} s / {rss:.0f} MB | {rebuild:.2f} s | {edit:.2f} s | {hs} | {ratio} |")
    print()
    print("| COEs | build wall | peak RSS | index | similar | search export | render+write | load | `coe search` p50 / p95 | two-word query bytes (gzip) | shards fetched |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, wall, rss, st, p50, p95, b, sf, stot in rows:
        bytes_s = "n/a (no chromium)" if b is None else f"{b / 1024:.1f} KB"
        print(f"| {n} | {wall:.2f} s | {rss:.0f} MB | {st.get('index', 0):.0f} ms | {st.get('similar', 0):.0f} ms | "
              f"{st.get('search export', 0):.0f} ms | {st.get('render+write', 0):.0f} ms | {st.get('load', 0):.0f} ms | "
              f"{p50:.1f} / {p95:.1f} ms | {bytes_s} | {sf} of {stot} |")
    print("\nall stages of a clean build (median ms):")
    for n, *_rest in rows:
        st = _rest[2]
        print(f"  {n}: " + ", ".join(f"{k} {v:.0f}" for k, v in st.items()))

    shutil.rmtree(TRASH, ignore_errors=True)


if __name__ == "__main__":
    main()
