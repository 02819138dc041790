#!/usr/bin/env bash
# bench/plan.sh — `plan` against `scan` on the shared benchmark corpus: wall time, CPU and
# peak RSS at 1 and 2 threads, paired (plan, scan, plan, scan, ...; see bench/paired.py).
#
# Usage:
#   bench/plan.sh [--runs N] [--warmup N] [--results DIR] [CORPUS [SCOPESMITH_BIN]]
#
# CORPUS defaults to /tmp/scopesmith-bench (shared/bench/corpus.sh --standard), the binary to
# target/release/scopesmith of this repository (built when missing). Both commands write
# JSON (`scan --format json`, `plan --format json`) into RESULTS (default
# /tmp/scopesmith-bench-results); the table goes to RESULTS/plan.md. The plan/scan ratio
# is the median of the per-pair ratios. Needs bash and python3.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CORPUS=/tmp/scopesmith-bench
BIN=""
RUNS=3
WARMUP=1
RESULTS=/tmp/scopesmith-bench-results
POS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "plan.sh: unknown option $1" >&2; exit 2 ;;
    *) POS+=("$1"); shift ;;
  esac
done
[ ${#POS[@]} -ge 1 ] && CORPUS="${POS[0]}"
[ ${#POS[@]} -ge 2 ] && BIN="${POS[1]}"
[ -d "$CORPUS" ] || { echo "plan.sh: corpus $CORPUS not found" >&2; exit 2; }
CORPUS="$(cd "$CORPUS" && pwd)"
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
BIN="${BIN:-$REPO_ROOT/target/release/scopesmith}"
if [ ! -x "$BIN" ]; then
  (cd "$REPO_ROOT" && cargo build --release >&2)
fi
q() { printf '%q' "$1"; }

rows=()
for t in 1 2; do
  plan="$(q "$BIN") plan . --format json --threads $t > $(q "$RESULTS/plan-t$t.json")"
  scan="$(q "$BIN") scan . --format json --threads $t > $(q "$RESULTS/scan-t$t.json")"
  echo "plan.sh: $RUNS pairs at $t thread(s)" >&2
  json="$(python3 "$SCRIPT_DIR/paired.py" --runs "$RUNS" --warmup "$WARMUP" --cwd "$CORPUS" --label "$t" -- "$plan" "$scan")"
  echo "$json" >> "$RESULTS/plan.jsonl"
  rows+=("$(python3 -c '
import json, sys
d = json.loads(sys.argv[1]); a, b, r = d["a_stats"], d["b_stats"], d["ratio_a_over_b"]
# No quotes inside the f-string expressions: Python before 3.12 refuses them.
label, aw, bw = d["label"], a["wall"], b["wall"]
cols = [
    label,
    "%.3f (%.3f-%.3f)" % (aw["median"], aw["min"], aw["max"]),
    "%.3f (%.3f-%.3f)" % (bw["median"], bw["min"], bw["max"]),
    "**%.2fx**" % r["wall"],
    "%.2f / %.2f" % (a["user"]["median"], b["user"]["median"]),
    "%.1f MB / %.1f MB" % (a["rss_mb"]["max"], b["rss_mb"]["max"]),
]
print("| " + " | ".join(cols) + " |")
' "$json")")
done
if cmp -s "$RESULTS/plan-t1.json" "$RESULTS/plan-t2.json"; then same="identical"; else same="DIFFERENT"; fi
{
  echo "machine: nproc=$(nproc), $(uname -sr); corpus $CORPUS; $RUNS pairs after $WARMUP warm-up pair(s)"
  echo
  echo "| threads | plan wall s, median (min-max) | scan wall s, median (min-max) | plan / scan | user CPU s plan / scan | peak RSS plan / scan |"
  echo "|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do echo "$r"; done
  echo
  echo "plan JSON at 1 and 2 threads: $same"
} | tee "$RESULTS/plan.md"
