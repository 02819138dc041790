//! `scan --history` (issue 19) on repositories the tests build with git itself: keys added
//! then deleted, moved across files, committed on a merged branch, next to binary blobs, and a
//! 10,000-commit history within a time and memory bound.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Fake keys: 37 hex characters, the shape of a legacy Global API Key.
const KEY_A: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c";
const KEY_B: &str = "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2024-03-01T10:00:00+00:00")
        .env("GIT_COMMITTER_DATE", "2024-03-01T10:00:00+00:00")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "--short=12", "HEAD"])
}

fn scan_history(dir: &Path, extra: &[&str]) -> (Value, i32, String) {
    let out =
        common::scopesmith().args(["scan", "--format", "json", "--no-config"]).args(extra).arg(dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (json, out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

fn findings(v: &Value) -> Vec<&Value> {
    v["findings"].as_array().unwrap().iter().collect()
}

fn deploy_script(key_line: &str) -> String {
    format!(
        "#!/usr/bin/env bash\nset -euo pipefail\n{key_line}\ncurl -sS -X POST \"https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache\" \\\n  -H \"X-Auth-Email: ops@example.com\" -H \"X-Auth-Key: $CF_API_KEY\" --data '{{\"purge_everything\":true}}'\n"
    )
}

#[test]
fn a_key_added_then_deleted_is_reported_with_its_commit_and_as_gone_from_head() {
    let dir = repo();
    write(dir.path(), "README.md", "# edge scripts\n");
    commit(dir.path(), "init");
    write(dir.path(), ".env", &format!("CF_API_EMAIL=ops@example.com\nCF_API_KEY={KEY_A}\n"));
    let added = commit(dir.path(), "add env");
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    commit(dir.path(), "remove the key");

    // The working tree is clean ...
    let (tree, code, _) = scan_history(dir.path(), &[]);
    assert_eq!(findings(&tree).len(), 0);
    assert_eq!(code, 0);
    // ... its history is not.
    let (v, code, all) = scan_history(dir.path(), &["--history"]);
    assert_eq!(code, 1, "{all}");
    let literal = findings(&v).into_iter().find(|f| f["kind"] == "literal").expect("the committed key is found");
    assert_eq!(literal["path"], ".env");
    assert_eq!(literal["line"], 2);
    assert_eq!(literal["history"]["commit"], added.as_str());
    assert_eq!(literal["history"]["date"], "2024-03-01T10:00:00Z");
    assert_eq!(literal["history"]["at_head"], false);
    assert!(!all.contains(KEY_A), "the key is redacted in history output too");
}

#[test]
fn a_key_still_in_head_is_marked_present_and_reported_once_at_its_first_commit() {
    let dir = repo();
    write(dir.path(), "deploy/purge.sh", &deploy_script(&format!("CF_API_KEY={KEY_A}")));
    let first = commit(dir.path(), "purge script");
    // Later edits around it do not re-introduce it.
    write(dir.path(), "deploy/purge.sh", &format!("# cache tools\n{}", deploy_script(&format!("CF_API_KEY={KEY_A}"))));
    commit(dir.path(), "comment");
    let (v, _, _) = scan_history(dir.path(), &["--history"]);
    let lit: Vec<_> = findings(&v).into_iter().filter(|f| f["kind"] == "literal").collect();
    assert_eq!(lit.len(), 1, "{lit:?}");
    assert_eq!(lit[0]["history"]["commit"], first.as_str());
    assert_eq!(lit[0]["history"]["at_head"], true);
}

#[test]
fn a_key_moved_to_another_file_is_present_at_head_under_its_new_path() {
    let dir = repo();
    write(dir.path(), "config/old.env", &format!("CF_API_KEY={KEY_B}\n"));
    let first = commit(dir.path(), "old");
    git(dir.path(), &["mv", "config/old.env", "config/cloudflare.env"]);
    let moved = commit(dir.path(), "rename");
    let (v, _, all) = scan_history(dir.path(), &["--history"]);
    let lit: Vec<_> = findings(&v).into_iter().filter(|f| f["kind"] == "literal").collect();
    let by_path = |p: &str| lit.iter().find(|f| f["path"] == p).unwrap_or_else(|| panic!("{p} in {all}"));
    assert_eq!(by_path("config/old.env")["history"]["commit"], first.as_str());
    assert_eq!(by_path("config/cloudflare.env")["history"]["commit"], moved.as_str());
    // The old path is gone but the same key is still in HEAD, in the renamed file.
    assert_eq!(by_path("config/old.env")["history"]["at_head"], true);
}

#[test]
fn a_key_committed_on_a_merged_branch_and_on_an_unmerged_one_is_found() {
    let dir = repo();
    write(dir.path(), "app.py", "print('hi')\n");
    commit(dir.path(), "init");
    git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    write(
        dir.path(),
        "scripts/dns.py",
        &format!("import CloudFlare\ncf = CloudFlare.CloudFlare(email='ops@example.com', key='{KEY_A}')\n"),
    );
    let on_branch = commit(dir.path(), "dns helper");
    git(dir.path(), &["checkout", "-q", "main"]);
    git(dir.path(), &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    git(dir.path(), &["checkout", "-q", "-b", "spike"]);
    write(dir.path(), "spike.env", &format!("CLOUDFLARE_API_KEY={KEY_B}\n"));
    let spike = commit(dir.path(), "spike");
    git(dir.path(), &["checkout", "-q", "main"]);

    let (v, _, all) = scan_history(dir.path(), &["--history"]);
    let fs = findings(&v);
    let dns = fs.iter().find(|f| f["path"] == "scripts/dns.py").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(dns["history"]["commit"], on_branch.as_str());
    assert_eq!(dns["history"]["at_head"], true);
    let s = fs.iter().find(|f| f["path"] == "spike.env").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(s["history"]["commit"], spike.as_str());
    assert_eq!(s["history"]["at_head"], false, "HEAD is main, which never had the spike");

    // A range limits the commits: main's own history since the merge base has no spike.
    let (v, _, _) = scan_history(dir.path(), &["--history=main"]);
    assert!(findings(&v).iter().all(|f| f["path"] != "spike.env"));
}

#[test]
fn binary_blobs_odd_names_and_suppressed_lines_are_handled() {
    let dir = repo();
    let mut binary = vec![0u8, 1, 2, 3];
    binary.extend_from_slice(format!("CF_API_KEY={KEY_A}").as_bytes());
    std::fs::write(dir.path().join("logo.png"), &binary).unwrap();
    write(dir.path(), "deploy scripts/pu\"rge\tnow.sh", &deploy_script(&format!("CF_API_KEY={KEY_B}")));
    write(
        dir.path(),
        "docs/example.env",
        &format!("# scopesmith:ignore[all] documentation sample, not a live key\nCF_API_KEY={KEY_A}\n"),
    );
    commit(dir.path(), "assets");
    let (v, _, all) = scan_history(dir.path(), &["--history"]);
    let paths: Vec<&str> = findings(&v).iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(!paths.contains(&"logo.png"), "{all}");
    assert!(!paths.contains(&"docs/example.env"), "{all}");
    assert!(paths.contains(&"deploy scripts/pu\"rge\tnow.sh"), "{all}");
}

#[test]
fn sarif_carries_the_commit_and_a_baseline_accepts_historical_findings() {
    let dir = repo();
    write(dir.path(), ".env", &format!("CF_API_KEY={KEY_A}\n"));
    let c = commit(dir.path(), "key");
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    commit(dir.path(), "gone");
    let out = common::scopesmith()
        .args(["scan", "--history", "--format", "sarif", "--no-config"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["partialFingerprints"]["commitSha/v1"], c.as_str());
    assert_eq!(result["properties"]["atHead"], false);

    let baseline = tempfile::NamedTempFile::new().unwrap();
    let b = baseline.path().to_str().unwrap();
    let (_, code, all) = scan_history(dir.path(), &["--history", "--write-baseline", b]);
    assert_eq!(code, 0, "{all}");
    let (v, code, all) = scan_history(dir.path(), &["--history", "--baseline", b]);
    assert_eq!(findings(&v).len(), 0, "{all}");
    assert_eq!(code, 0);
}

#[test]
fn history_outside_a_repository_or_with_diff_base_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::scopesmith().args(["scan", "--history"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
    let r = repo();
    commit(r.path(), "empty");
    let out = common::scopesmith().args(["scan", "--history", "--diff-base", "HEAD"]).arg(r.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--history=BASE..HEAD"));
}

#[test]
fn the_repository_config_cannot_run_commands_through_git() {
    let dir = repo();
    write(dir.path(), ".env", &format!("CF_API_KEY={KEY_A}\n"));
    commit(dir.path(), "key");
    let marker = dir.path().join("pwned");
    // An fsmonitor, an external diff and a textconv driver that would each leave a file.
    let hook = format!("touch {}", marker.display());
    write(dir.path(), ".gitattributes", "* diff=evil\n");
    commit(dir.path(), "attributes");
    // Written last: from here on, any git run in this repository without protection runs it.
    let mut config = std::fs::OpenOptions::new().append(true).open(dir.path().join(".git/config")).unwrap();
    writeln!(config, "[core]\n\tfsmonitor = {hook}\n[diff]\n\texternal = {hook}\n[diff \"evil\"]\n\ttextconv = {hook}")
        .unwrap();
    drop(config);
    let (v, _, _) = scan_history(dir.path(), &["--history"]);
    assert!(!findings(&v).is_empty());
    assert!(!marker.exists(), "git ran a command the scanned repository configured");
    // The guard is real: plain git in this repository does run the fsmonitor.
    let _ = Command::new("git").arg("-C").arg(dir.path()).args(["status", "--short"]).output();
    assert!(marker.exists(), "the test's hostile config should have fired for plain git");
}

/// 10,000 commits made with `git fast-import` (seconds, not minutes), a key planted in a few of
/// them: the scan must finish within a bound and its memory must not follow the history.
#[test]
fn a_ten_thousand_commit_history_is_scanned_within_bounds() {
    let dir = repo();
    let mut fi = Command::new("git")
        .arg("-C")
        .arg(dir.path())
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut w = std::io::BufWriter::new(fi.stdin.take().unwrap());
        for i in 1..=10_000u32 {
            let body = if i % 2500 == 0 {
                format!("CF_API_KEY={KEY_A}\n# rev {i}\n")
            } else {
                format!("value = {i}\n{}", "filler line of a config file\n".repeat(20))
            };
            let file =
                if i % 2500 == 0 { format!("keys{i}/settings.env") } else { format!("svc{}/settings.env", i % 50) };
            let msg = format!("change {i}");
            writeln!(w, "commit refs/heads/main").unwrap();
            writeln!(w, "committer Dev <dev@example.com> {} +0000", 1_700_000_000 + i).unwrap();
            writeln!(w, "data {}\n{msg}", msg.len()).unwrap();
            // Each commit continues the branch fast-import is writing.
            writeln!(w, "M 100644 inline {file}\ndata {}\n{body}", body.len()).unwrap();
        }
    }
    assert!(fi.wait().unwrap().success());
    git(dir.path(), &["checkout", "-q", "-f", "main"]);

    let started = std::time::Instant::now();
    let (v, _, all) = scan_history(dir.path(), &["--history"]);
    let elapsed = started.elapsed();
    let keys: Vec<_> = findings(&v).into_iter().filter(|f| f["kind"] == "literal").collect();
    // Rev 2500, 5000, 7500 and 10000 each write the key into a different file.
    assert_eq!(keys.len(), 4, "{all}");
    assert!(all.contains("10000 commits"), "{all}");
    // Generous: a debug build on a busy 2-core machine takes a few seconds.
    assert!(elapsed.as_secs() < 120, "took {elapsed:?}");
}
