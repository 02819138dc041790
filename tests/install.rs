//! action/install.sh (used by action.yml and the pre-commit hook): the release binary is
//! installed only when its SHA-256 matches the published one, a mismatch stops with exit 3
//! (never a silent fallback), and a missing release falls back to `cargo install` from the
//! checkout. Releases are served from a `file://` directory and cargo is a recording fake, so
//! nothing here touches the network. Unix only (the script is bash).
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TARGET: &str = "x86_64-unknown-linux-musl";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("action/install.sh")
}

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A release `version` as the workflow publishes it: archive plus `<hex>  <file>` checksum.
fn publish(base: &Path, version: &str) -> PathBuf {
    let name = format!("scopesmith-{version}-{TARGET}");
    let dir = base.join(format!("v{version}"));
    write_exec(&dir.join(&name).join("scopesmith"), "#!/bin/sh\necho fake scopesmith \"$@\"\n");
    let tar = Command::new("tar").current_dir(&dir).args(["-czf", &format!("{name}.tar.gz"), &name]).status().unwrap();
    assert!(tar.success());
    let sum = Command::new("sha256sum").current_dir(&dir).arg(format!("{name}.tar.gz")).output().unwrap();
    std::fs::write(dir.join(format!("{name}.tar.gz.sha256")), &sum.stdout).unwrap();
    dir.join(format!("{name}.tar.gz.sha256"))
}

struct Run {
    out: Output,
    outputs: String,
    dest: PathBuf,
}

fn install(tmp: &Path, version: &str) -> Run {
    let dest = tmp.join("dest");
    let outputs = tmp.join("github-output");
    let _ = std::fs::remove_file(&outputs);
    // cargo stand-in: records its arguments and "installs" into --root.
    let cargo = tmp.join("fake-cargo");
    write_exec(
        &cargo,
        "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/cargo-args\"\nwhile [ $# -gt 0 ]; do\n  if [ \"$1\" = --root ]; then root=\"$2\"; fi\n  shift\ndone\nmkdir -p \"$root/bin\" && printf '#!/bin/sh\\necho built\\n' > \"$root/bin/scopesmith\" && chmod +x \"$root/bin/scopesmith\"\n",
    );
    let out = Command::new("bash")
        .arg(script())
        .env("SCOPESMITH_VERSION", version)
        .env("SCOPESMITH_TARGET", TARGET)
        .env("SCOPESMITH_DOWNLOAD_BASE", format!("file://{}", tmp.join("releases").display()))
        .env("SCOPESMITH_DEST", &dest)
        .env("SCOPESMITH_SOURCE", env!("CARGO_MANIFEST_DIR"))
        .env("CARGO", &cargo)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    Run { out, outputs: std::fs::read_to_string(&outputs).unwrap_or_default(), dest }
}

fn ready() -> Option<tempfile::TempDir> {
    if !["bash", "curl", "tar", "sha256sum"].iter().all(|t| have(t)) {
        eprintln!("note: bash, curl, tar or sha256sum missing; install.sh tests skipped");
        return None;
    }
    Some(tempfile::tempdir().unwrap())
}

#[test]
fn verified_release_binary_is_installed() {
    let Some(tmp) = ready() else { return };
    publish(&tmp.path().join("releases"), "9.9.9");
    let r = install(tmp.path(), "v9.9.9");
    assert_eq!(r.out.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.out.stderr));
    assert!(r.outputs.contains("method=binary"), "{}", r.outputs);
    let bin = r.dest.join("scopesmith");
    assert!(r.outputs.contains(&format!("path={}", bin.display())), "{}", r.outputs);
    let ran = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "fake scopesmith --version\n");
    assert!(!tmp.path().join("cargo-args").exists(), "cargo must not run when the binary is good");
}

#[test]
fn checksum_mismatch_stops_without_installing_or_building() {
    let Some(tmp) = ready() else { return };
    let sum = publish(&tmp.path().join("releases"), "9.9.9");
    let text = std::fs::read_to_string(&sum).unwrap();
    // One flipped hex digit: what a tampered or truncated download looks like.
    let flipped = match text.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", &text[1..]),
    };
    std::fs::write(&sum, flipped).unwrap();
    let r = install(tmp.path(), "9.9.9");
    let err = String::from_utf8_lossy(&r.out.stderr);
    assert_eq!(r.out.status.code(), Some(3), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!r.dest.join("scopesmith").exists());
    assert!(!tmp.path().join("cargo-args").exists(), "a mismatch must not fall back to a build");
    assert_eq!(r.outputs, "");
}

#[test]
fn a_checksum_file_that_is_not_a_checksum_is_a_mismatch() {
    let Some(tmp) = ready() else { return };
    let sum = publish(&tmp.path().join("releases"), "9.9.9");
    std::fs::write(&sum, "<html>Not Found</html>\n").unwrap();
    let r = install(tmp.path(), "9.9.9");
    assert_eq!(r.out.status.code(), Some(3), "{}", String::from_utf8_lossy(&r.out.stderr));
}

#[test]
fn missing_release_falls_back_to_cargo_install_from_the_checkout() {
    let Some(tmp) = ready() else { return };
    publish(&tmp.path().join("releases"), "9.9.9");
    let r = install(tmp.path(), "9.9.8");
    let err = String::from_utf8_lossy(&r.out.stderr);
    assert_eq!(r.out.status.code(), Some(0), "{err}");
    assert!(err.contains("falling back to a build from source"), "{err}");
    assert!(r.outputs.contains("method=source"), "{}", r.outputs);
    let args = std::fs::read_to_string(tmp.path().join("cargo-args")).unwrap();
    assert!(args.starts_with("install --locked"), "{args}");
    assert!(args.contains(&format!("--path {}", env!("CARGO_MANIFEST_DIR"))), "{args}");
    let ran = Command::new(r.dest.join("scopesmith")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "built\n");
}

#[test]
fn source_version_builds_without_downloading() {
    let Some(tmp) = ready() else { return };
    let r = install(tmp.path(), "source");
    assert_eq!(r.out.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.out.stderr));
    assert!(r.outputs.contains("method=source"), "{}", r.outputs);
}
