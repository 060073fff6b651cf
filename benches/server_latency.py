#!/usr/bin/env python3
"""Latency of `tasklint server` (a benchmark, never a timed test).

    python3 benches/server_latency.py --tree PATH --file REL [--edits 20] [--bin PATH]
    python3 benches/server_latency.py --generate 5000      # a generated Django project

Starts the server on TREE (the workspace folder), opens FILE (a view, say) and measures:

- first diagnostics: from `didOpen` to the first `publishDiagnostics` for the file, in a
  cold server (the whole project is walked, read, and what matters parsed);
- against `tasklint check FILE` run as a process (what an editor running the command
  line on save would pay): with `--no-cache`, and with a warm cache (in a temporary
  folder: the tree is never written to);
- then `--edits` one-line edits of the file (a line added, then removed, alternately,
  at the end of the file's first function-level line), each timed from `didChange` to the
  `publishDiagnostics` of that version: the median and the 90th percentile (the server
  starts a check as soon as no message is waiting: no debounce timer).

The figures depend on the machine and on what else runs on it: on a shared machine they
are noisy; repeat, and compare medians.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent


class Server:
    def __init__(self, binary, root, log=None):
        env = dict(os.environ)
        if log:
            # Each check's phase timings, written by the server to its standard error.
            env["TASKLINT_SERVER_TIMINGS"] = "1"
        self.p = subprocess.Popen(
            [binary, "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(log, "w") if log else subprocess.DEVNULL,
            env=env,
        )
        self.next_id = 1
        self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {},
            },
        )
        self.notify("initialized", {})

    def send(self, message):
        body = json.dumps(message).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def recv(self):
        headers = {}
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            key, value = line.decode().split(":", 1)
            headers[key.strip().lower()] = value.strip()
        return json.loads(self.p.stdout.read(int(headers["content-length"])))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == rid and "method" not in m:
                return m.get("result")

    def diagnostics(self, uri, version=None):
        while True:
            m = self.recv()
            if m.get("method") != "textDocument/publishDiagnostics":
                continue
            p = m["params"]
            if p["uri"] == uri and (version is None or p.get("version") == version):
                return p["diagnostics"]

    def cpu_seconds(self):
        """The server's CPU time so far (user + system, all threads; Linux only)."""
        try:
            fields = pathlib.Path(f"/proc/{self.p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.p.wait(timeout=30)


def time_check(binary, tree, rel, reps, cache_dir):
    """Median wall time of `tasklint check REL` run in TREE (no cache, then warm)."""
    env = dict(os.environ, NO_COLOR="1", TASKLINT_CACHE_DIR=str(cache_dir))
    out = {}
    for label, extra in (("no cache", ["--no-cache"]), ("warm cache", [])):
        if extra == []:
            subprocess.run([binary, "check", rel], cwd=tree, env=env, capture_output=True)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            subprocess.run([binary, "check", rel, *extra], cwd=tree, env=env, capture_output=True)
            times.append(time.perf_counter() - t)
        out[label] = statistics.median(times)
    return out


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", type=pathlib.Path, help="the workspace folder")
    ap.add_argument("--file", help="the file to open, relative to the tree")
    ap.add_argument("--generate", type=int, metavar="N", help="use a generated Django project of N files")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--cold", type=int, default=3, help="cold starts to time (median)")
    ap.add_argument("--check-reps", type=int, default=3)
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "tasklint"))
    ap.add_argument("--server-log", metavar="FILE", help="write the edited server's per-check phase timings to FILE")
    args = ap.parse_args()
    # The server and the checks run from the tree: a relative path must keep its meaning.
    args.bin = str(pathlib.Path(args.bin).resolve())

    work = pathlib.Path(tempfile.mkdtemp(prefix="tasklint-latency-"))
    try:
        if args.generate:
            tree = work / "project"
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), "python", str(tree), "--files", str(args.generate)],
                check=True,
                capture_output=True,
            )
            rel = args.file or "app0001/views.py"
        else:
            if not args.tree or not args.file:
                ap.error("give --tree and --file, or --generate N")
            tree, rel = args.tree.resolve(), args.file
        path = tree / rel
        uri = path.as_uri()
        text = path.read_text()
        py_files = sum(1 for _ in tree.rglob("*.py"))
        print(f"tree: {tree} ({py_files} Python files); file: {rel} ({len(text.splitlines())} lines)")

        firsts, n_diags = [], 0
        for _ in range(args.cold):
            server = Server(args.bin, tree)
            t = time.perf_counter()
            server.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
            )
            diags = server.diagnostics(uri)
            firsts.append(time.perf_counter() - t)
            n_diags = len(diags)
            server.close()
        checks = time_check(args.bin, tree, rel, args.check_reps, work / "cache")

        # Edits: a comment line inserted after the first line, then taken out again.
        server = Server(args.bin, tree, args.server_log)
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )
        server.diagnostics(uri)
        lines = text.splitlines(keepends=True)
        edited = lines[0] + "# an edit\n" + "".join(lines[1:])
        latencies = []
        cpu_before = server.cpu_seconds()
        for i in range(args.edits):
            version = i + 2
            new = edited if i % 2 == 0 else text
            t = time.perf_counter()
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": new}]},
            )
            server.diagnostics(uri, version)
            latencies.append(time.perf_counter() - t)
        cpu_after = server.cpu_seconds()
        server.close()

        latencies.sort()
        p90 = latencies[min(len(latencies) - 1, int(0.9 * len(latencies)))]
        print(f"first diagnostics, cold server (median of {args.cold}): {ms(statistics.median(firsts))} ({n_diags} diagnostics)")
        for label, t in checks.items():
            print(f"`tasklint check {rel}` ({label}, median of {args.check_reps}): {ms(t)}")
        print(
            f"one-line edit -> diagnostics (median of {args.edits}): {ms(statistics.median(latencies))}"
            f", p90 {ms(p90)}, min {ms(latencies[0])}, max {ms(latencies[-1])}"
        )
        if cpu_before is not None and cpu_after is not None:
            print(
                f"server CPU time per edit (all threads, less sensitive to other load): "
                f"{ms((cpu_after - cpu_before) / args.edits)}"
            )
        ratio = statistics.median(firsts) / checks["no cache"]
        print(f"first diagnostics / check --no-cache: {ratio:.2f}x (target <= 2x)")
        print(f"edit target <= 100 ms: {'met' if statistics.median(latencies) <= 0.1 else 'not met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
