#!/usr/bin/env python3
"""Time two commands in turn (A B A B ...) and report medians and the A/B ratio per pair.

  paired.py [--runs N] [--warmup N] [--cwd DIR] [--label NAME] -- 'COMMAND A' 'COMMAND B'

Each command is one shell string (run with bash -c, its stdout and stderr sent to
/dev/null unless the command redirects them itself). For every run the kernel's own
accounting of the finished process tree is read (os.wait4): wall seconds, user and system
CPU seconds, and peak RSS (the largest single process). Pairing matters on a shared machine:
when its speed drifts, both commands of a pair see the same drift, so the median of the
per-pair ratios is steadier than the ratio of medians. Prints one JSON object on stdout.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd, cwd):
    devnull = os.open(os.devnull, os.O_RDWR)
    t0 = time.perf_counter()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, stdin=devnull, stdout=devnull, stderr=devnull)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    p.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "user": ru.ru_utime,
        "sys": ru.ru_stime,
        "rss_mb": ru.ru_maxrss / 1024.0,
        "code": p.returncode,
    }


def summary(runs):
    out = {}
    for k in ("wall", "user", "sys", "rss_mb"):
        v = [r[k] for r in runs]
        out[k] = {"median": statistics.median(v), "min": min(v), "max": max(v)}
    out["codes"] = sorted({r["code"] for r in runs})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--label", default="")
    ap.add_argument("commands", nargs=2)
    a = ap.parse_args()
    cmd_a, cmd_b = a.commands
    for _ in range(a.warmup):
        run_once(cmd_a, a.cwd)
        run_once(cmd_b, a.cwd)
    ra, rb = [], []
    for _ in range(a.runs):
        ra.append(run_once(cmd_a, a.cwd))
        rb.append(run_once(cmd_b, a.cwd))
    ratios = {
        k: statistics.median(x[k] / y[k] for x, y in zip(ra, rb) if y[k] > 0)
        for k in ("wall", "user")
    }
    ratios["cpu"] = statistics.median(
        (x["user"] + x["sys"]) / (y["user"] + y["sys"]) for x, y in zip(ra, rb) if y["user"] + y["sys"] > 0
    )
    print(json.dumps({"label": a.label, "runs": a.runs, "a": cmd_a, "b": cmd_b,
                      "a_stats": summary(ra), "b_stats": summary(rb), "ratio_a_over_b": ratios}))


if __name__ == "__main__":
    sys.exit(main())
