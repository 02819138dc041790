#!/bin/sh
# Opens the HTML migration report (issue 7) in a real headless Chromium: checks that the key
# sections and charts are in the rendered DOM, and takes a screenshot.
#
# Installs nothing: needs /usr/bin/chromium (Debian: `apt-get install -y chromium`).
# Environment:
#   SCOPESMITH  the binary (default: target/debug/scopesmith, or $CARGO_TARGET_DIR/debug/scopesmith)
#   SCREENSHOT  where to write the screenshot of the `fixtures/` report (default: docs/report.png)
# Run from the repository root.
set -eu

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SCOPESMITH=${SCOPESMITH:-${CARGO_TARGET_DIR:-target}/debug/scopesmith}
SCREENSHOT=${SCREENSHOT:-docs/report.png}

if [ ! -x "$CHROMIUM" ]; then
    echo "check_report.sh: $CHROMIUM not found; install it with: apt-get install -y chromium" >&2
    exit 1
fi
if [ ! -x "$SCOPESMITH" ]; then
    echo "check_report.sh: $SCOPESMITH not found; run cargo build first" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

chromium() {
    # A fresh profile each time; no network, no updates, no first-run UI.
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" "$@" 2>>"$work/chromium.log"
}

fail() {
    echo "check_report.sh: $1" >&2
    tail -n 20 "$work/chromium.log" >&2 || true
    exit 1
}

# 1. The report of the whole fixtures tree.
"$SCOPESMITH" report fixtures --format html --out "$work/fixtures.html"
chromium --dump-dom "file://$work/fixtures.html" >"$work/fixtures.dom" || fail "chromium could not load the report"
for needle in 'id="summary"' 'id="credentials"' 'id="secrets"' 'id="blockers"' \
    'id="chart-severity"' 'id="chart-kind"' 'id="chart-ecosystem"' '<svg' \
    'Global API Key migration report' 'Hard-coded secrets to rotate' 'Token policy' 'rewritable' 'manual'; do
    grep -qF "$needle" "$work/fixtures.dom" || fail "rendered DOM lacks: $needle"
done
# No key in the rendered page: the fixtures' keys are 37 hex digits.
if grep -Eq '\b[0-9a-f]{37,45}\b' "$work/fixtures.dom"; then
    fail "rendered DOM contains a key-shaped value"
fi

# 2. Progress against an earlier saved scan, merged with a saved plan: burn-down and repositories.
"$SCOPESMITH" report fixtures/shell tests/data/report/dns-sync.plan.json --repo-name acme/edge-scripts \
    --compare tests/data/report/edge-scripts.previous.scan.json --format html --out "$work/compare.html"
chromium --dump-dom "file://$work/compare.html" >"$work/compare.dom" || fail "chromium could not load the compare report"
for needle in 'id="progress"' 'id="chart-burndown"' 'id="repositories"' 'acme/dns-sync' 'Sites migrated'; do
    grep -qF "$needle" "$work/compare.dom" || fail "rendered compare DOM lacks: $needle"
done

# 3. The screenshot.
mkdir -p "$(dirname "$SCREENSHOT")"
chromium --hide-scrollbars --screenshot="$SCREENSHOT" --window-size=1280,2000 "file://$work/fixtures.html" >/dev/null \
    || fail "chromium could not take the screenshot"
[ -s "$SCREENSHOT" ] || fail "no screenshot written to $SCREENSHOT"
echo "check_report.sh: ok (screenshot: $SCREENSHOT)"
