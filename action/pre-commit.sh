#!/usr/bin/env bash
# pre-commit entry (.pre-commit-hooks.yaml): run `scopesmith scan` on the staged files with
# the first scopesmith found of
#   1. $SCOPESMITH, or `scopesmith` on PATH (a release binary, cargo install, a package);
#   2. the release binary of this hook's version, cached in ~/.cache/scopesmith/<version>/
#      after one checksum-verified download (action/install.sh);
#   3. a build from this hook's checkout (once; cached the same way).
# so a commit never waits for a compile when a binary is available.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SCOPESMITH:-}"
if [ -z "$bin" ] && command -v scopesmith >/dev/null 2>&1; then
  bin="$(command -v scopesmith)"
fi
if [ -z "$bin" ]; then
  version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)"
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/scopesmith/$version"
  if [ ! -x "$cache/scopesmith" ] && [ ! -x "$cache/scopesmith.exe" ]; then
    # A checkout at the release tag gets that release's binary; others build from source.
    tagged="source"
    if git -C "$here" describe --exact-match --tags >/dev/null 2>&1; then tagged="$version"; fi
    SCOPESMITH_VERSION="${SCOPESMITH_VERSION:-$tagged}" SCOPESMITH_DEST="$cache" SCOPESMITH_SOURCE="$here" \
      GITHUB_OUTPUT="" "$here/action/install.sh" >&2
  fi
  bin="$cache/scopesmith"
  [ -x "$bin" ] || bin="$cache/scopesmith.exe"
fi
exec "$bin" scan "$@"
