#!/usr/bin/env python3
"""Findings must not move when only speed changes: runs two tasklint binaries on the same
trees with `--format json --no-cache` and compares their output byte for byte.

    python3 benches/identity.py --base OLD_BINARY [--new target/release/tasklint]
        [--eco] [--generated N] [TREE ...]

Trees: every fixture project (`fixtures/python/*`, `fixtures/rust/*`), every TREE named,
every work tree under /work/eco with --eco (or `$TASKLINT_ECO`), and the generated
Django and Rust projects of N files with --generated N. Each tree is also checked with
the new binary's cache filled (a warm run must print what a cold run prints): once
reusing the kept findings, once with them removed (models from the cache). Exits 1 on
the first difference, printing a unified diff of the two outputs.
"""

import argparse
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(binary, tree, extra=(), env=None):
    p = subprocess.run(
        [binary, "check", tree, "--format", "json", *extra],
        cwd=ROOT,
        capture_output=True,
        env=env,
    )
    return p.returncode, p.stdout, p.stderr


def trees(args, work):
    out = []
    for lang in ("python", "rust"):
        d = os.path.join(ROOT, "fixtures", lang)
        out += [os.path.join(d, x) for x in sorted(os.listdir(d))]
    eco = os.environ.get("TASKLINT_ECO", "/work/eco")
    if args.eco and os.path.isdir(eco):
        out += [os.path.join(eco, x) for x in sorted(os.listdir(eco)) if os.path.isdir(os.path.join(eco, x))]
    if args.generated:
        gen = os.path.join(HERE, "generate.py")
        for lang in ("python", "rust"):
            t = os.path.join(work, f"{lang}-{args.generated}")
            subprocess.run([sys.executable, gen, lang, t, "--files", str(args.generated)], check=True, stdout=subprocess.DEVNULL)
            out.append(t)
    return out + args.trees


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the binary whose findings are the reference")
    ap.add_argument("--new", default=os.path.join(ROOT, "target", "release", "tasklint"))
    ap.add_argument("--eco", action="store_true", help="also every tree under /work/eco")
    ap.add_argument("--generated", type=int, default=0, help="also generated projects of N files")
    ap.add_argument("trees", nargs="*")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tasklint-identity-")
    env = dict(os.environ, TASKLINT_CACHE_DIR=os.path.join(work, "cache"))
    failed = 0
    for tree in trees(args, work):
        base = run(args.base, tree, ["--no-cache"])
        new = run(args.new, tree, ["--no-cache"])
        run(args.new, tree, [], env)  # fills the cache
        warm = run(args.new, tree, [], env)  # reuses the kept findings
        cache = env["TASKLINT_CACHE_DIR"]
        for name in os.listdir(cache) if os.path.isdir(cache) else []:
            if name.endswith(".findings"):
                os.remove(os.path.join(cache, name))
        models = run(args.new, tree, [], env)  # works them out from cached models
        for label, got in (("new", new), ("new, findings kept", warm), ("new, models cached", models)):
            if got[:2] != base[:2]:
                failed += 1
                print(f"DIFFERENT ({label}): {tree} (exit {base[0]} -> {got[0]})")
                a = base[1].decode(errors="replace").replace("},{", "},\n{").splitlines()
                b = got[1].decode(errors="replace").replace("},{", "},\n{").splitlines()
                sys.stdout.writelines(l + "\n" for l in list(difflib.unified_diff(a, b, "base", label, lineterm=""))[:60])
                if got[2]:
                    print(got[2].decode(errors="replace")[-2000:])
                break
        else:
            print(f"same: {tree}")
    subprocess.run(["rm", "-rf", work])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
