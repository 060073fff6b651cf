#!/usr/bin/env python3
"""tasklint's benchmark: generated projects (and real trees you name), tasklint and ruff
side by side, several repetitions, medians, ratios and peak memory.

    python3 benches/bench.py [--files 5000] [--reps 5] [--real PATH ...] [--no-ruff]
    python3 benches/bench.py --corpus [--repos-tsv FILE ...] [--eco DIR] [--check-targets]

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


def timed(cmd, env=None, cpu=False):
    """(wall seconds, peak RSS in KB, stderr) of one run under /usr/bin/time -v; with
    cpu=True, (wall, rss, stderr, user + system CPU seconds)."""
    full = ["/usr/bin/time", "-v"] + cmd if os.path.exists("/usr/bin/time") else cmd
    start = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    wall = time.perf_counter() - start
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    if p.returncode not in (0, 1):
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(m.group(1)) if m else 0
    if not cpu:
        return wall, rss, p.stderr
    user = re.search(r"User time \(seconds\): ([\d.]+)", p.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", p.stderr)
    seconds = (float(user.group(1)) if user else 0) + (float(system.group(1)) if system else 0)
    return wall, rss, p.stderr, seconds


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


# ---------------------------------------------------------------------------------------
# --corpus: every repository of the ecosystem list, plus generated projects, one table.

SKIP_DIRS = {".git", ".hg", "node_modules", "target", ".tasklint_cache", ".ruff_cache", "__pycache__", ".venv", "venv"}


def parsed_bytes(stderr):
    """The bytes parsed, from the `files:` line of --timings."""
    m = re.search(r"(\d+) parsed \(([\d.]+) (B|KB|MB)\)", stderr)
    if not m:
        return None
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20}[m.group(3)]
    return float(m.group(2)) * scale


def corpus_trees(args):
    """(label, path, is_python) for every repository of the lists found under --eco, or
    every folder of --eco when no list names one."""
    eco = args.eco
    tsvs = args.repos_tsv or [os.path.join(ROOT, "ecosystem", "repos.tsv")]
    out, seen = [], set()
    for tsv in tsvs:
        if not os.path.exists(tsv):
            print(f"{tsv}: not found", file=sys.stderr)
            continue
        for line in open(tsv, encoding="utf-8"):
            cols = line.rstrip("\n").split("\t")
            if not cols[0] or cols[0].startswith("#") or cols[0] == "repo" or len(cols) < 3:
                continue
            repo, lang = cols[0].strip(), cols[2].strip()
            path = os.path.join(eco, repo.replace("/", "+"))
            if repo in seen:
                continue
            seen.add(repo)
            if os.path.isdir(path):
                out.append((repo, path, lang == "python"))
            else:
                print(f"{repo}: no work tree at {path}, left out", file=sys.stderr)
    if not out and os.path.isdir(eco):
        for name in sorted(os.listdir(eco)):
            path = os.path.join(eco, name)
            if os.path.isdir(path):
                out.append((name.replace("+", "/"), path, tree_bytes(path, (".py",)) > 0))
    return out


def copy_sources(src, dst):
    """The tree's files without version control, dependencies and caches: a copy the
    benchmark may edit (the one-file-changed run)."""
    shutil.copytree(src, dst, symlinks=True, ignore=lambda d, names: [n for n in names if n in SKIP_DIRS])


def edited_file(tree, python):
    ext = ".py" if python else ".rs"
    files = sorted(
        os.path.join(d, f)
        for d, dirs, fs in os.walk(tree)
        if not (dirs.__setitem__(slice(None), sorted(x for x in dirs if x not in SKIP_DIRS)))
        for f in fs
        if f.endswith(ext)
    )
    return files[len(files) // 2] if files else None


class Series:
    def __init__(self):
        self.walls, self.cpus, self.rss = [], [], 0

    def add(self, wall, rss, cpu=None):
        self.walls.append(wall)
        if cpu is not None:
            self.cpus.append(cpu)
        self.rss = max(self.rss, rss)

    @property
    def wall(self):
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self):
        return statistics.median(self.cpus) if self.cpus else None


def parse_floor(floor, tree):
    """CPU seconds tree-sitter alone takes over every Python file of the tree (one thread),
    from the `parse_floor` bench binary."""
    out = subprocess.run([floor, tree], capture_output=True, text=True)
    line = out.stdout.strip().splitlines()[-1:] if out.returncode == 0 else []
    try:
        return float(line[0].split("\t")[-1]) if line else None
    except ValueError:
        return None


def bench_corpus_tree(label, path, python, tasklint, ruff, reps, work, floor=None):
    tree = os.path.join(work, "tree")
    shutil.rmtree(tree, ignore_errors=True)
    copy_sources(path, tree)
    exts = (".py",) if python else (".rs",)
    r = {"label": label, "python": python, "bytes": tree_bytes(tree, exts),
         "files": sum(1 for d, _, fs in os.walk(tree) for f in fs if f.endswith(exts))}
    env = dict(os.environ, TASKLINT_CACHE_DIR=os.path.join(work, "cache"), XDG_CACHE_HOME=os.path.join(work, "keys"))
    base = [tasklint, "check", tree, "--format", "concise", "--quiet"]
    s = {k: Series() for k in ("cold", "cold-1", "warm", "changed", "ruff")}
    parsed = []
    print(f"{label}: {r['files']} files, {r['bytes'] / 1e6:.1f} MB", file=sys.stderr)
    for _ in range(reps):
        wall, rss, err, cpu = timed(base + ["--no-cache", "--timings"], env, cpu=True)
        s["cold"].add(wall, rss, cpu)
        if parsed_bytes(err) is not None:
            parsed.append(parsed_bytes(err))
        wall, rss, _, cpu = timed(base + ["--no-cache", "--threads", "1"], env, cpu=True)
        s["cold-1"].add(wall, rss, cpu)
        if ruff and python:
            wall, rss, _, cpu = timed([ruff, "check", "--select", "ASYNC,DJ", "--no-cache", "--quiet", "--exit-zero", tree], env, cpu=True)
            s["ruff"].add(wall, rss, cpu)
    shutil.rmtree(env["TASKLINT_CACHE_DIR"], ignore_errors=True)
    timed(base, env)  # fills the cache
    for _ in range(reps):
        wall, rss, _, cpu = timed(base, env, cpu=True)
        s["warm"].add(wall, rss, cpu)
    victim = edited_file(tree, python)
    for i in range(reps):
        if victim:
            with open(victim, "a", encoding="utf-8") as f:
                f.write(f"\n# benchmark edit {i}\n" if python else f"\n// benchmark edit {i}\n")
        wall, rss, _, cpu = timed(base, env, cpu=True)
        s["changed"].add(wall, rss, cpu)
    r["series"] = s
    r["parsed"] = statistics.median(parsed) if parsed else None
    r["floor"] = parse_floor(floor, tree) if floor and python else None
    return r


def floor_cell(r, what):
    """The parse floor of what the first run parsed: tree-sitter's CPU seconds over every
    file scaled by the share of bytes parsed (`cpu`), and that spread over every core,
    against ruff's wall time (`ruff`)."""
    if r.get("floor") is None or not r["parsed"] or not r["bytes"]:
        return "-"
    cpu = r["floor"] * min(1.0, r["parsed"] / r["bytes"])
    if what == "cpu":
        return f"{cpu:.2f}"
    ruff = r["series"]["ruff"].wall
    return f"{cpu / (os.cpu_count() or 1) / ruff:.2f}" if ruff else "-"


def corpus_table(results):
    cols = ["tree", "files", "MB", "parsed", "cold", "cold cpu", "1 thread", "warm", "1 changed",
            "ruff", "cold/ruff", "warm/ruff", "chg/ruff", "thr x", "peak MB", "peak/parsed"]
    with_floor = any(r.get("floor") is not None for r in results)
    if with_floor:
        cols += ["ts cpu", "ts/ruff"]
    rows = [cols]
    for r in results:
        s = r["series"]
        ruff = s["ruff"].wall
        ratio = lambda x: f"{x / ruff:.2f}" if ruff and x is not None else "-"
        sec = lambda x: f"{x:.2f}" if x is not None else "-"
        peak = max(s["cold"].rss, s["cold-1"].rss, s["warm"].rss, s["changed"].rss) / 1024
        r["peak_mb"] = peak
        rows.append([
            r["label"], str(r["files"]), f"{r['bytes'] / 1e6:.1f}",
            f"{r['parsed'] / 1e6:.1f}" if r["parsed"] else "-",
            sec(s["cold"].wall), sec(s["cold"].cpu), sec(s["cold-1"].wall), sec(s["warm"].wall),
            sec(s["changed"].wall), sec(ruff), ratio(s["cold"].wall), ratio(s["warm"].wall),
            ratio(s["changed"].wall),
            f"{s['cold-1'].wall / s['cold'].wall:.2f}" if s["cold"].wall else "-",
            f"{peak:.0f}", f"{peak * (1 << 20) / r['parsed']:.1f}" if r["parsed"] else "-",
        ] + ([floor_cell(r, "cpu"), floor_cell(r, "ruff")] if with_floor else []))
    widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in rows)


def corpus_targets(results):
    """(line, met) for every target of the speed issue, per tree."""
    out = []
    for r in results:
        s, label = r["series"], r["label"]
        ruff = s["ruff"].wall
        if ruff:
            out.append((f"{label}: first run {s['cold'].wall / ruff:.2f}x ruff (<= 2x)", s["cold"].wall <= 2 * ruff))
            out.append((f"{label}: warm {s['warm'].wall / ruff:.2f}x ruff's first run (<= 0.5x)", s["warm"].wall <= 0.5 * ruff))
            out.append((f"{label}: one file changed {s['changed'].wall / ruff:.2f}x ruff (<= 0.5x)", s["changed"].wall <= 0.5 * ruff))
        if r["parsed"]:
            mem = r["peak_mb"] * (1 << 20) / r["parsed"]
            out.append((f"{label}: peak memory {mem:.1f}x the bytes parsed (<= 4x)", mem <= 4))
        if s["cold"].wall and s["cold"].wall > 0.2:
            x = s["cold-1"].wall / s["cold"].wall
            out.append((f"{label}: all threads {x:.2f}x faster than one (>= 1.7x)", x >= 1.7))
    by = {r["label"]: r for r in results}
    small, big = by.get("generated data module, 5 MB"), by.get("generated data module, 50 MB")
    if small and big:
        t = big["series"]["cold"].cpu / small["series"]["cold"].cpu
        m = big["peak_mb"] / small["peak_mb"]
        out.append((f"data module 50 MB vs 5 MB: CPU time x{t:.1f} (<= 12)", t <= 12))
        out.append((f"data module 50 MB vs 5 MB: peak memory x{m:.1f} (<= 12)", m <= 12))
    return out


def main_corpus(args):
    if not os.path.exists(args.tasklint):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="tasklint-corpus-")
    try:
        ruff = None if args.no_ruff else install_ruff(work)
        trees = corpus_trees(args)
        gen = os.path.join(HERE, "generate.py")
        generated = [("generated python, N files", ["python", "--files", str(args.files)], True),
                     ("generated rust, N files", ["rust", "--files", str(args.files)], False),
                     ("generated data module, 5 MB", ["data", "--mb", "5"], True)]
        if not args.no_big:
            generated.append(("generated data module, 50 MB", ["data", "--mb", "50"], True))
        for label, gargs, python in generated:
            out = os.path.join(work, "gen-" + re.sub(r"\W", "_", label))
            subprocess.run([sys.executable, gen, gargs[0], out] + gargs[1:], check=True, stdout=subprocess.DEVNULL)
            trees.append((label, out, python))
        results = []
        for label, path, python in trees:
            results.append(bench_corpus_tree(label, path, python, args.tasklint, ruff, args.reps,
                                             os.path.join(work, "run"),
                                             # A data module's big literals are not parsed at all.
                                             None if "data module" in label else args.parse_floor))
            shutil.rmtree(os.path.join(work, "run"), ignore_errors=True)
        print(f"{len(trees)} trees, median of {args.reps}, {os.cpu_count()} cores; seconds are wall-clock"
              " (noisy while other work runs: compare `cold cpu`, user + system CPU seconds)")
        print(corpus_table(results))
        targets = corpus_targets(results)
        print("\ntargets:")
        for line, met in targets:
            print(f"  {'met    ' if met else 'NOT met'}  {line}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump([{"tree": r["label"], "files": r["files"], "bytes": r["bytes"], "parsed": r["parsed"],
                            **{k: {"wall_s": v.wall, "cpu_s": v.cpu, "peak_rss_kb": v.rss} for k, v in r["series"].items()}}
                           for r in results], f, indent=2)
        if args.check_targets and not all(met for _, met in targets):
            sys.exit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=5000, help="N: files of the generated projects")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--real", action="append", default=[], help="a real tree to add (repeatable)")
    ap.add_argument("--tasklint", default=os.path.join(ROOT, "target", "release", "tasklint"))
    ap.add_argument("--no-ruff", action="store_true")
    ap.add_argument("--no-rust", action="store_true")
    ap.add_argument("--json", help="also write the medians to this file")
    ap.add_argument("--corpus", action="store_true", help="every repository of --repos-tsv, plus generated projects")
    ap.add_argument("--repos-tsv", action="append", default=[], help="a repository list (default ecosystem/repos.tsv; repeatable)")
    ap.add_argument("--eco", default=os.environ.get("TASKLINT_ECO", "/work/eco"), help="where the work trees are (<owner>+<name>)")
    ap.add_argument("--no-big", action="store_true", help="--corpus: leave out the 50 MB data module")
    ap.add_argument("--check-targets", action="store_true", help="--corpus: exit 1 when a target is not met")
    ap.add_argument("--parse-floor", help="--corpus: the parse_floor bench binary; adds the parse floor columns")
    args = ap.parse_args()
    if args.corpus:
        return main_corpus(args)

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
