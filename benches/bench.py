#!/usr/bin/env python3
"""tasklint's benchmark: generated projects (and real trees you name), tasklint and ruff
side by side, several repetitions, medians, ratios and peak memory.

    python3 benches/bench.py [--files 5000] [--reps 5] [--real PATH ...] [--no-ruff]

What it runs, on each tree (see benches/README.md):
  tasklint check (all threads)   first run, no cache (--no-cache)
  tasklint check --threads 1     first run, no cache
  tasklint parse phase           the "parse" line of --timings, from the first command
  tasklint check, warm cache     a re-run with the cache filled by a run before
  ruff check --select ASYNC,DJ --no-cache   (Python trees; ruff from PyPI in a venv)

Trees: the generated Django + Celery project at N and 2N files, the generated Rust
workspace at N files, and every --real PATH. Wall times are medians of --reps runs; peak
memory is the largest "Maximum resident set size" /usr/bin/time -v reported. The table
ends with each target of issue 4, met or not.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def tree_bytes(path, exts):
    total = 0
    for d, dirs, files in os.walk(path):
        dirs[:] = [x for x in dirs if x not in (".git", "node_modules", "target", ".tasklint_cache")]
        for f in files:
            if f.endswith(exts):
                try:
                    total += os.path.getsize(os.path.join(d, f))
                except OSError:
                    pass
    return total


def timed(cmd, env=None):
    """(wall seconds, peak RSS in KB, stderr) of one run under /usr/bin/time -v."""
    full = ["/usr/bin/time", "-v"] + cmd if os.path.exists("/usr/bin/time") else cmd
    start = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    wall = time.perf_counter() - start
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    if p.returncode not in (0, 1):
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return wall, int(m.group(1)) if m else 0, p.stderr


def parse_ms(stderr):
    m = re.search(r"^\s+parse\s+([\d.]+) ms", stderr, re.M)
    return float(m.group(1)) / 1e3 if m else None


class Row:
    def __init__(self, name):
        self.name = name
        self.walls = []
        self.rss = 0

    def add(self, wall, rss):
        self.walls.append(wall)
        self.rss = max(self.rss, rss)

    @property
    def median(self):
        return statistics.median(self.walls) if self.walls else None


def install_ruff(work):
    venv = os.path.join(work, "venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True)
        pip = os.path.join(venv, "bin", "pip")
        subprocess.run([pip, "install", "--quiet", "ruff"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"ruff could not be installed ({e}); its columns are left out", file=sys.stderr)
        return None
    ruff = os.path.join(venv, "bin", "ruff")
    version = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"using {version} from a temporary virtualenv", file=sys.stderr)
    return ruff


def bench_tree(label, path, python, tasklint, ruff, reps, work):
    exts = (".py",) if python else (".rs",)
    size = tree_bytes(path, exts)
    files = sum(1 for d, _, fs in os.walk(path) for f in fs if f.endswith(exts))
    cache_dir = os.path.join(work, "cache-" + re.sub(r"\W", "_", label))
    env = dict(os.environ, TASKLINT_CACHE_DIR=cache_dir)
    rows = {k: Row(k) for k in ("cold", "cold-1", "parse", "warm", "ruff")}
    base = [tasklint, "check", path, "--format", "concise", "--quiet"]
    print(f"{label}: {files} files, {size / 1e6:.1f} MB", file=sys.stderr)
    for _ in range(reps):
        wall, rss, err = timed(base + ["--no-cache", "--timings"], env)
        rows["cold"].add(wall, rss)
        p = parse_ms(err)
        if p is not None:
            rows["parse"].add(p, 0)
        wall, rss, _ = timed(base + ["--no-cache", "--threads", "1"], env)
        rows["cold-1"].add(wall, rss)
        if ruff and python:
            wall, rss, _ = timed([ruff, "check", "--select", "ASYNC,DJ", "--no-cache", "--quiet", path], env)
            rows["ruff"].add(wall, rss)
    shutil.rmtree(cache_dir, ignore_errors=True)
    timed(base, env)  # fills the cache
    for _ in range(reps):
        wall, rss, _ = timed(base, env)
        rows["warm"].add(wall, rss)
    return {"label": label, "files": files, "bytes": size, "rows": rows}


def fmt(x, unit="s"):
    return "—" if x is None else f"{x:.3f} {unit}"


def report(results):
    out = []
    out.append(f"{'tree':<28} {'command':<34} {'median':>10} {'vs ruff':>8} {'peak RSS':>10} {'RSS/src':>8}")
    names = {
        "cold": "tasklint (all threads, no cache)",
        "cold-1": "tasklint --threads 1 (no cache)",
        "parse": "tasklint parse phase",
        "warm": "tasklint (warm cache)",
        "ruff": "ruff --select ASYNC,DJ --no-cache",
    }
    for r in results:
        ruff = r["rows"]["ruff"].median
        for key in ("cold", "cold-1", "parse", "warm", "ruff"):
            row = r["rows"][key]
            if row.median is None:
                continue
            ratio = f"{row.median / ruff:.2f}x" if ruff and key != "ruff" else ""
            rss = f"{row.rss / 1024:.0f} MB" if row.rss else ""
            per_src = f"{row.rss * 1024 / r['bytes']:.1f}x" if row.rss and r["bytes"] else ""
            out.append(f"{r['label']:<28} {names[key]:<34} {fmt(row.median):>10} {ratio:>8} {rss:>10} {per_src:>8}")
    out.append("")
    out.append("targets (issue 4):")
    by = {r["label"]: r for r in results}
    for r in results:
        rows = r["rows"]
        ruff, cold, warm, one = (rows[k].median for k in ("ruff", "cold", "warm", "cold-1"))
        label = r["label"]
        if ruff:
            out.append(f"  {label}: first run {cold / ruff:.2f}x ruff (target <= 2x): {'met' if cold <= 2 * ruff else 'NOT met'}")
            out.append(f"  {label}: warm cache {warm / ruff:.2f}x ruff (target <= 0.5x): {'met' if warm <= 0.5 * ruff else 'NOT met'}")
        out.append(f"  {label}: all threads {one / cold:.2f}x faster than --threads 1 (target >= 1.7x): {'met' if one / cold >= 1.7 else 'NOT met'}")
        if not r["bytes"]:
            continue
        mem = max(rows["cold"].rss, rows["cold-1"].rss, rows["warm"].rss) * 1024 / r["bytes"]
        out.append(f"  {label}: peak memory {mem:.1f}x the source bytes (target <= 4x): {'met' if mem <= 4 else 'NOT met'}")
    pairs = [(a, b) for a in by for b in by if b == a.replace("N files", "2N files") and a != b]
    for a, b in pairs:
        ratio = by[b]["rows"]["cold"].median / by[a]["rows"]["cold"].median
        out.append(f"  doubling the project ({a} -> {b}): time x{ratio:.2f} (target <= 2.2): {'met' if ratio <= 2.2 else 'NOT met'}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=5000, help="N: files of the generated projects")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--real", action="append", default=[], help="a real tree to add (repeatable)")
    ap.add_argument("--tasklint", default=os.path.join(ROOT, "target", "release", "tasklint"))
    ap.add_argument("--no-ruff", action="store_true")
    ap.add_argument("--no-rust", action="store_true")
    ap.add_argument("--json", help="also write the medians to this file")
    args = ap.parse_args()

    if not os.path.exists(args.tasklint):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="tasklint-bench-")
    try:
        ruff = None if args.no_ruff else install_ruff(work)
        gen = os.path.join(HERE, "generate.py")
        trees = []
        for label, lang, n in [
            ("python, N files", "python", args.files),
            ("python, 2N files", "python", 2 * args.files),
        ] + ([] if args.no_rust else [("rust, N files", "rust", args.files)]):
            out = os.path.join(work, f"{lang}-{n}")
            subprocess.run([sys.executable, gen, lang, out, "--files", str(n)], check=True, stdout=subprocess.DEVNULL)
            trees.append((label, out, lang == "python"))
        for path in args.real:
            # A real tree is measured as Python when it holds Python files, else as Rust.
            python = tree_bytes(path, (".py",)) > 0
            trees.append((os.path.basename(os.path.normpath(path)), path, python))
        results = [bench_tree(l, p, py, args.tasklint, ruff, args.reps, work) for l, p, py in trees]
        text = report(results)
        print(f"N = {args.files}, {args.reps} repetitions, {os.cpu_count()} cores")
        print(text)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(
                    [
                        {
                            "tree": r["label"],
                            "files": r["files"],
                            "bytes": r["bytes"],
                            **{k: {"median_s": v.median, "peak_rss_kb": v.rss} for k, v in r["rows"].items()},
                        }
                        for r in results
                    ],
                    f,
                    indent=2,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
