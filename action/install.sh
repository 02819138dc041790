#!/usr/bin/env bash
# Installs scopesmith for the GitHub Action (and anyone else): the release binary for this
# machine, checked against its published SHA-256, else a build from source with cargo.
#
# Environment:
#   SCOPESMITH_VERSION   release to fetch, `0.2.0` or `v0.2.0`; empty or `source`: build from source
#   SCOPESMITH_DEST      directory to put the `scopesmith` binary in (created; default ~/.local/bin)
#   SCOPESMITH_SOURCE    checkout to build from when no binary can be had (default: this script's repo)
#   SCOPESMITH_DOWNLOAD_BASE  where releases live (default: the project's GitHub releases);
#                        the archive is $BASE/v$VERSION/scopesmith-$VERSION-$TARGET.tar.gz (.zip on
#                        Windows) and its checksum the same name + .sha256
#   SCOPESMITH_TARGET    override the detected target triple
#   CARGO                cargo to build with (default: cargo, installed with rustup if missing)
#   GITHUB_OUTPUT        when set, `path=` and `method=` (binary|source) are appended to it
#
# Exit 0 when installed. A checksum that does not match is an error (exit 3), never a reason
# to fall back: it means the download is not what was published.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
version="${SCOPESMITH_VERSION:-}"
version="${version#v}"
dest="${SCOPESMITH_DEST:-$HOME/.local/bin}"
source_dir="${SCOPESMITH_SOURCE:-$here}"
base="${SCOPESMITH_DOWNLOAD_BASE:-https://github.com/scopesmith/scopesmith/releases/download}"
mkdir -p "$dest"

say() { echo "scopesmith-install: $*" >&2; }

target() {
  if [ -n "${SCOPESMITH_TARGET:-}" ]; then echo "$SCOPESMITH_TARGET"; return; fi
  local os arch
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    # musl builds are static: they run on any Linux runner or container.
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
    *) return 1 ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

report() { # report PATH METHOD
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    { echo "path=$1"; echo "method=$2"; } >>"$GITHUB_OUTPUT"
  fi
  say "installed $1 ($2)"
}

# 0: installed; 1: no binary to be had (fall back); 3: checksum mismatch (stop).
from_release() {
  local triple ext name url tmp expected actual bin
  triple="$(target)" || { say "no release binary for $(uname -s) $(uname -m)"; return 1; }
  case "$triple" in *windows*) ext=zip ;; *) ext=tar.gz ;; esac
  name="scopesmith-$version-$triple"
  url="$base/v$version/$name.$ext"
  tmp="$(mktemp -d)"
  if ! curl -fsSL --retry 2 -o "$tmp/$name.$ext" "$url" || ! curl -fsSL --retry 2 -o "$tmp/$name.$ext.sha256" "$url.sha256"; then
    say "could not download $url (or its .sha256)"
    rm -rf "$tmp"
    return 1
  fi
  expected="$(tr -d '\r' <"$tmp/$name.$ext.sha256" | awk '{ print tolower($1); exit }')"
  actual="$(sha256_of "$tmp/$name.$ext")"
  if ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || [ "$expected" != "$actual" ]; then
    say "checksum mismatch for $name.$ext: published ${expected:-nothing}, downloaded $actual"
    rm -rf "$tmp"
    return 3
  fi
  if [ "$ext" = zip ]; then
    (cd "$tmp" && unzip -q "$name.$ext")
    bin="scopesmith.exe"
  else
    tar -C "$tmp" -xzf "$tmp/$name.$ext"
    bin="scopesmith"
  fi
  if [ ! -f "$tmp/$name/$bin" ]; then
    say "$name.$ext has no $name/$bin"
    rm -rf "$tmp"
    return 1
  fi
  install -m 0755 "$tmp/$name/$bin" "$dest/$bin"
  rm -rf "$tmp"
  report "$dest/$bin" binary
}

from_source() {
  local cargo="${CARGO:-cargo}"
  if ! command -v "$cargo" >/dev/null 2>&1; then
    say "no cargo: installing a minimal Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
    cargo="$HOME/.cargo/bin/cargo"
  fi
  say "building scopesmith from $source_dir (a few minutes; cached by target/ when the caller caches it)"
  # Scanning needs no network stack: --no-default-features skips it and builds faster. The
  # target directory sits in the source checkout so that a cache of it speeds up the next run.
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$source_dir/target}" \
    "$cargo" install --locked --quiet --no-default-features --path "$source_dir" --root "$dest/.scopesmith" >&2
  local bin=scopesmith
  [ -f "$dest/.scopesmith/bin/scopesmith.exe" ] && bin=scopesmith.exe
  install -m 0755 "$dest/.scopesmith/bin/$bin" "$dest/$bin"
  report "$dest/$bin" source
}

if [ -n "$version" ] && [ "$version" != source ]; then
  set +e
  from_release
  rc=$?
  set -e
  case "$rc" in
    0) exit 0 ;;
    3) exit 3 ;;
    *) say "falling back to a build from source" ;;
  esac
fi
from_source
