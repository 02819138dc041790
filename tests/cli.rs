//! The built binary, as a user runs it: exit codes, error messages, determinism, redaction.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    common::bin()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn findings_exit_1_and_show_the_rule_and_location() {
    bin()
        .args(["scan", "--format", "human"])
        .arg(fixtures().join("shell"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("x-auth-key-header"))
        .stdout(predicate::str::contains("deploy/purge-cache.sh:9"))
        .stdout(predicate::str::contains("legacy Global API Key uses in"));
}

#[test]
fn a_clean_tree_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.sh"),
        "curl -H \"Authorization: Bearer $CF_API_TOKEN\" https://api.cloudflare.com/client/v4/user/tokens/verify\n",
    )
    .unwrap();
    bin()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no legacy Global API Key use found"));
}

#[test]
fn a_missing_path_exits_2_with_a_clear_error() {
    bin()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file or directory"));
}

#[test]
fn a_bad_flag_exits_2() {
    bin().args(["scan", "--format", "yaml"]).assert().code(2);
}

#[test]
fn a_malformed_rule_file_points_at_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "rules:\n  - id: my-rule\n    kind: header\n    severity: high\n    summary: s\n    why: w\n    fix: f\n    keywords: [\"x-my-key\"]\n    pattern: '(unclosed'\n",
    )
    .unwrap();
    bin()
        .args(["rules", "check"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid regex in rule `my-rule`"))
        .stderr(predicate::str::contains("9 │"));
    std::fs::write(&file, "rules:\n  - id: my-rule\n    kindd: header\n").unwrap();
    bin()
        .args(["rules", "check"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `kindd`"));
}

#[test]
fn a_user_regex_that_is_too_large_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.yaml");
    std::fs::write(
        &file,
        "rules:\n  - id: huge-rule\n    kind: env\n    severity: low\n    summary: s\n    why: w\n    fix: f\n    keywords: [\"abcd\"]\n    pattern: '(?:\\w{1000}){1000}'\n",
    )
    .unwrap();
    bin().args(["rules", "check"]).arg(&file).assert().code(2).stderr(predicate::str::contains("too large"));
}

#[test]
fn a_user_rule_finds_what_it_describes() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("acme.yaml"),
        "rules:\n  - id: acme-legacy-cf-key\n    kind: env\n    severity: medium\n    summary: ACME_CF_GLOBAL holds the global key\n    why: w\n    fix: f\n    keywords: [\"acme_cf_global\"]\n    pattern: '\\b(?P<cred>ACME_CF_GLOBAL)\\b'\n",
    )
    .unwrap();
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(tree.path().join("run.sh"), "export ACME_CF_GLOBAL=\"$(vault read x)\"\n").unwrap();
    bin()
        .args(["scan", "--format", "json", "--rules"])
        .arg(rules.path())
        .arg(tree.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"rule\": \"acme-legacy-cf-key\""));
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let run = |threads: &str| {
        bin().args(["scan", "--format", "json", "--threads", threads]).arg(fixtures()).output().unwrap().stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("4"));
}

/// Every hard-coded key in the fixtures, read from the files themselves.
fn planted_keys() -> Vec<String> {
    let re = regex::Regex::new(r"\b(?:[a-f0-9]{37}|cfk_[A-Za-z0-9]{48})\b").unwrap();
    let mut keys = Vec::new();
    for entry in walkdir::WalkDir::new(fixtures()) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
            keys.extend(re.find_iter(&text).map(|m| m.as_str().to_string()));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[test]
fn no_output_contains_a_fixture_key() {
    let keys = planted_keys();
    assert!(keys.len() >= 8, "the fixtures plant hard-coded keys: {}", keys.len());
    for args in [
        vec!["scan", "--format", "human", "-v"],
        vec!["scan", "--format", "json"],
        vec!["scan", "--format", "sarif"],
        vec!["plan", "--format", "human"],
        vec!["plan", "--format", "json"],
    ] {
        let out = bin().args(&args).arg(fixtures()).output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for k in &keys {
            assert!(!all.contains(k.as_str()), "{args:?} printed a key starting {}", &k[..4]);
        }
    }
}

#[test]
fn plan_json_follows_the_contract() {
    let out = bin().args(["plan", "--format", "json"]).arg(fixtures().join("python")).output().unwrap();
    // A plan is an answer, not a gate (issue 20): 0 whenever it ran.
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let creds = v["credentials"].as_array().unwrap();
    assert!(!creds.is_empty());
    for c in creds {
        assert!(c["name"].is_string());
        assert!(c["sites"][0]["path"].is_string() && c["sites"][0]["line"].is_u64());
        for e in c["endpoints"].as_array().unwrap() {
            assert!(e["method"].is_string() && e["path"].is_string() && e["sites"].is_array());
        }
        for p in c["permissions"].as_array().unwrap() {
            assert!(p["name"].is_string() && p["scope"].is_string() && p["resources"].is_array());
        }
        assert!(c["unresolved"].is_array());
    }
}
