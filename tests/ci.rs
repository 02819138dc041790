//! The CI gate on real temporary git repositories (issue 6): `--diff-base`, baselines,
//! inline suppressions, `--fail-on`, `.scopesmith.yaml`, exit codes and SARIF.
//!
//! Fake credentials only: the scripts read the key from the environment.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

const KEY_LINE: &str = "export CF_API_KEY=\"$CF_API_KEY\"";
const OTHER_KEY_LINE: &str = "curl -H \"X-Auth-Key: $CLOUDFLARE_API_KEY\" https://api.cloudflare.com/client/v4/zones";
const EMAIL_LINE: &str = "export CF_API_EMAIL=\"$CF_API_EMAIL\"";

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().expect("temp dir") };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, lines: &[&str]) {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn scan(&self, args: &[&str]) -> (i32, Value, String) {
        let out = common::bin()
            .current_dir(self.path())
            .env_remove("CI")
            .args(["scan", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lines_of(json: &Value) -> Vec<(String, u64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect()
}

#[test]
fn diff_base_reports_only_the_new_line() {
    let repo = Repo::new();
    repo.write("deploy.sh", &["#!/bin/sh", KEY_LINE, "echo done"]);
    repo.commit("first");
    repo.write("deploy.sh", &["#!/bin/sh", KEY_LINE, "echo done", OTHER_KEY_LINE]);
    repo.commit("second");

    let (code, all, _) = repo.scan(&[]);
    assert_eq!(code, 1);
    assert_eq!(lines_of(&all).len(), 2);

    let (code, json, err) = repo.scan(&["--diff-base", "HEAD~1"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(lines_of(&json), [("deploy.sh".to_string(), 4)]);
    assert_eq!(json["summary"]["unchanged"], 1);

    // Uncommitted edits count too; a clean diff passes.
    let (code, json, _) = repo.scan(&["--diff-base", "HEAD"]);
    assert_eq!((code, lines_of(&json).len()), (0, 0));
}

#[test]
fn diff_base_missing_from_a_shallow_clone_is_a_clear_error() {
    let repo = Repo::new();
    repo.write("deploy.sh", &[KEY_LINE]);
    repo.commit("first");
    repo.write("deploy.sh", &[KEY_LINE, OTHER_KEY_LINE]);
    repo.commit("second");
    let first = repo.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git_in(clones.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);

    let out = common::bin()
        .current_dir(clones.path().join("shallow"))
        .args(["scan", "--diff-base", &first])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // A 40-hex commit id has a legacy key's shape: stderr shows it masked, like every output.
    assert!(err.contains(&format!("{}{} is not in this clone", &first[..4], "*".repeat(36))), "{err}");
    assert!(err.contains("git fetch --depth=N origin") && err.contains("fetch-depth: 0"), "{err}");
}

#[test]
fn baseline_survives_shifted_lines_and_fails_only_on_new_uses() {
    let repo = Repo::new();
    repo.write("deploy.sh", &["#!/bin/sh", KEY_LINE, EMAIL_LINE]);
    repo.write("ci/purge.sh", &[OTHER_KEY_LINE]);
    repo.commit("legacy");

    let (code, json, err) = repo.scan(&["--write-baseline", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["summary"]["baselined"], 3);
    assert!(err.contains("wrote 3 baseline entries"), "{err}");
    let written = std::fs::read_to_string(repo.path().join("baseline.json")).unwrap();
    let doc: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["entries"].as_array().unwrap().len(), 3);
    for key in ["rule", "path", "fingerprint", "line"] {
        assert!(doc["entries"][0].get(key).is_some(), "{key} in {written}");
    }

    // Lines above the known uses move: still known.
    repo.write("deploy.sh", &["#!/bin/sh", "set -eu", "", "# deploy", KEY_LINE, EMAIL_LINE]);
    let (code, json, err) = repo.scan(&["--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines_of(&json).len(), 0);
    assert_eq!(json["summary"]["baselined"], 3);

    // A new use is reported, alone.
    repo.write("deploy.sh", &["#!/bin/sh", "set -eu", "", "# deploy", KEY_LINE, EMAIL_LINE, OTHER_KEY_LINE]);
    let (code, json, _) = repo.scan(&["--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(lines_of(&json), [("deploy.sh".to_string(), 7)]);
}

#[test]
fn malformed_baseline_names_the_file_and_position() {
    let repo = Repo::new();
    repo.write("deploy.sh", &[KEY_LINE]);
    std::fs::write(repo.path().join("base.json"), "{\n  \"version\": 1,\n  \"entries\": [,]\n}\n").unwrap();
    let (code, _, err) = repo.scan(&["--baseline", "base.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("base.json") && err.contains("line 3"), "{err}");
}

#[test]
fn suppression_needs_a_reason() {
    let repo = Repo::new();
    repo.write(
        "deploy.sh",
        &[
            "# scopesmith:ignore[global-key-env-var] rotated out in #42, removal pending",
            KEY_LINE,
            &format!("{EMAIL_LINE} # scopesmith:ignore[global-key-email-env-var, x-auth-key-header]"),
        ],
    );
    let (code, json, err) = repo.scan(&[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(lines_of(&json), [("deploy.sh".to_string(), 3)], "the reasonless one still reports");
    assert_eq!(json["summary"]["suppressed"], 1);
    let warnings = json["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["reason"], "suppression");
    assert!(warnings[0]["message"].as_str().unwrap().contains("needs a reason"));

    let (_, json, _) = repo.scan(&["--no-suppress"]);
    assert_eq!(lines_of(&json).len(), 2);
    assert_eq!(json["summary"]["suppressed"], 0);

    // The human summary counts them too.
    let out = common::bin().current_dir(repo.path()).arg("scan").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 suppressed"));
}

#[test]
fn fail_on_sets_the_exit_code_not_the_report() {
    let repo = Repo::new();
    // An e-mail alone is not a key use (token users send it too): nothing to report or fail on.
    repo.write("deploy.sh", &[EMAIL_LINE]);
    let (code, json, _) = repo.scan(&[]);
    assert_eq!(code, 0);
    assert_eq!(lines_of(&json).len(), 0, "an e-mail alone is not reported");
    repo.write("deploy.sh", &[EMAIL_LINE, KEY_LINE]);
    let (code, json, _) = repo.scan(&["--fail-on", "critical"]);
    assert_eq!(code, 0);
    assert_eq!(lines_of(&json).len(), 2, "still reported below the threshold");
    assert_eq!(repo.scan(&[]).0, 1);
    assert_eq!(repo.scan(&["--fail-on", "low"]).0, 1);
    assert_eq!(repo.scan(&["--fail-on", "high"]).0, 1);
    assert_eq!(repo.scan(&["--fail-on", "critical"]).0, 0);
    assert_eq!(repo.scan(&["--fail-on", "severe"]).0, 2);
}

#[test]
fn clean_tree_exits_zero() {
    let repo = Repo::new();
    repo.write("deploy.sh", &["export CLOUDFLARE_API_TOKEN=\"$CLOUDFLARE_API_TOKEN\""]);
    let (code, json, _) = repo.scan(&[]);
    assert_eq!((code, lines_of(&json).len()), (0, 0));
}

#[test]
fn config_file_sets_defaults_and_flags_win() {
    let repo = Repo::new();
    repo.write("deploy.sh", &[EMAIL_LINE, KEY_LINE]);
    repo.write("fixtures/fake.sh", &[OTHER_KEY_LINE]);
    repo.write(
        ".scopesmith.yaml",
        &["exclude: [\"fixtures/**\"]", "severity:", "  global-key-env-var: medium", "fail-on: high"],
    );
    let (code, json, err) = repo.scan(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines_of(&json).len(), 2, "fixtures/ excluded");
    assert_eq!(json["findings"][1]["severity"], "medium");
    assert_eq!(repo.scan(&["--fail-on", "medium"]).0, 1, "the flag wins");
    assert_eq!(repo.scan(&["--no-config"]).1["findings"].as_array().unwrap().len(), 3);

    repo.write(".scopesmith.yaml", &["exclude: []", "fail_on: high"]);
    let (code, _, err) = repo.scan(&[]);
    assert_eq!(code, 2);
    assert!(err.contains(".scopesmith.yaml") && err.contains("fail_on") && err.contains("line 2"), "{err}");
}

fn sarif_of(repo: &Repo) -> Value {
    let out = common::bin().current_dir(repo.path()).args(["scan", "--format", "sarif", "src"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sarif_has_what_github_code_scanning_needs() {
    let repo = Repo::new();
    repo.write("src/deploy.sh", &["#!/bin/sh", KEY_LINE, EMAIL_LINE]);
    let sarif = sarif_of(&repo);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "scopesmith");
    assert!(driver["informationUri"].is_string() && driver["version"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["id"] == "global-key-env-var").expect("rule listed");
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert_eq!(rule["properties"]["tags"][0], "security");
    for key in ["shortDescription", "fullDescription", "help"] {
        assert!(rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()), "{key}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let r = &results[0];
    assert_eq!(r["ruleId"], "global-key-env-var");
    assert_eq!(r["level"], "error");
    assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], r["ruleId"]);
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/deploy.sh");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 8);
    assert!(r["partialFingerprints"]["scopesmith/v1"].is_string());
    assert_eq!(results[1]["level"], "note");

    // The fingerprint stays when lines above move.
    let before = r["partialFingerprints"].clone();
    repo.write("src/deploy.sh", &["#!/bin/sh", "set -eu", KEY_LINE, EMAIL_LINE]);
    let after = sarif_of(&repo);
    assert_eq!(after["runs"][0]["results"][0]["partialFingerprints"], before);
    assert_eq!(after["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/sarif/sarif-schema-2.1.0.json");
    let Ok(schema_text) = std::fs::read_to_string(&schema_path) else {
        eprintln!("note: {} not found; SARIF schema validation skipped", schema_path.display());
        return;
    };
    // The official schema's `language` patterns have a stray `]` that Rust regex engines
    // refuse (ECMAScript reads it as a literal); we never emit `language`, so use the intent.
    let schema_text =
        schema_text.replace(r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let repo = Repo::new();
    repo.write("src/deploy.sh", &["#!/bin/sh", KEY_LINE, EMAIL_LINE, OTHER_KEY_LINE]);
    let sarif = sarif_of(&repo);
    let errors: Vec<String> =
        validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the validator does reject a broken log.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(!validator.is_valid(&broken));
}
