#!/usr/bin/env bash
# bench/fresh-clone.sh — what a new user's first hour costs: clone, then time the README's two
# commands (build + run on the demo tree, then the tests) from an empty target directory.
#
# Usage: bench/fresh-clone.sh [REPO_URL_OR_PATH] [REF]
#   REPO_URL_OR_PATH  what to clone (default: this checkout)
#   REF               branch, tag or commit to check out (default: this checkout's HEAD)
#
# The target directory is always new and empty (CARGO_TARGET_DIR inside the temporary clone).
# The crate registry cache (~/.cargo/registry) is NOT cleared: downloads are not timed, only
# compiling and running. The script says whether that cache was warm. It prints one line per
# command (wall seconds, CPU seconds = user + sys, peak RSS) and a total; `--timings` HTML
# reports are kept in the target directory (cargo-timings/). Exit code: 0 when both commands did
# what the README says (scan exits 1 on the demo tree: it finds uses), 1 otherwise.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
src="${1:-$here}"
ref="${2:-$(git -C "$here" rev-parse HEAD)}"
work="$(mktemp -d "${TMPDIR:-/tmp}/scopesmith-fresh.XXXXXX")"
echo "clone:  $src @ $ref"
echo "work:   $work (kept; delete it when done)"

git clone --quiet --no-checkout "$src" "$work/repo"
git -C "$work/repo" checkout --quiet "$ref"
cd "$work/repo"
export CARGO_TARGET_DIR="$work/target"
export CARGO_TERM_COLOR=never
registry="${CARGO_HOME:-$HOME/.cargo}/registry"
if [ -d "$registry/cache" ] && [ -n "$(ls -A "$registry/cache" 2>/dev/null)" ]; then
  echo "cache:  crate registry cache is warm ($registry): downloads are not part of the times"
else
  echo "cache:  crate registry cache is empty: the times include downloading crates"
fi
echo "cores:  $(nproc 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "rustc:  $(rustc --version)"

# The two commands, exactly as the README's first block shows them (scan's exit 1 = found).
readme_build=(cargo run --release --locked -- scan fixtures/)
readme_test=(cargo test --release --locked)

total_wall=0
total_cpu=0
status=0
run() { # run LABEL EXPECTED_EXIT CMD...
  local label="$1" expected="$2"
  shift 2
  local start end rc
  start=$(date +%s.%N)
  set +e
  /usr/bin/time -f '%U %S %M' -o "$work/$label.time" "$@" >"$work/$label.out" 2>&1
  rc=$?
  set -e
  end=$(date +%s.%N)
  local wall cpu rss
  local user sys
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  # /usr/bin/time -o ends with its numbers (a failing command adds a "Command exited" line first).
  read -r user sys rss < <(tail -n 1 "$work/$label.time") || true
  cpu=$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { print u + s }')
  total_wall=$(awk -v a="$total_wall" -v b="$wall" 'BEGIN { print a + b }')
  total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { print a + b }')
  printf '%-6s %8.1f s wall %8.1f s CPU %6d MB peak  exit %d  (%s)\n' \
    "$label" "$wall" "$cpu" "$(( ${rss:-0} / 1024 ))" "$rc" "$*"
  if [ "$rc" != "$expected" ]; then
    echo "  expected exit $expected; last lines of $work/$label.out:"
    tail -n 20 "$work/$label.out" | sed 's/^/    /'
    status=1
  fi
}

# `--timings` changes nothing about what is built; it leaves cargo's per-crate report (CPU
# time per crate, parallelism) in $CARGO_TARGET_DIR/cargo-timings/.
run build 1 "${readme_build[0]}" "${readme_build[1]}" --timings "${readme_build[@]:2}"
run test 0 "${readme_test[0]}" "${readme_test[1]}" --timings "${readme_test[@]:2}"
printf 'total  %8.1f s wall %8.1f s CPU (%.1f minutes wall)\n' "$total_wall" "$total_cpu" \
  "$(awk -v w="$total_wall" 'BEGIN { print w / 60 }')"
echo "timings: $CARGO_TARGET_DIR/cargo-timings/"
exit "$status"
