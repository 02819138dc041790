//! The first hour as a new user and a pipeline meet the CLI (issue 20): `scan -o`, the
//! compact format, byte sizes with units, each command's own `--format` choices, exit 0 for
//! successful `plan`/`fix`, clear errors for files `report` did not write, `rules check`
//! reporting every problem, baseline and config errors that say where they came from, and
//! config findings pointing at the setting rather than its indentation. All keys are fake.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const KEY: &str = "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e";

fn bin() -> Command {
    common::bin()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small project: a script sending the key header from an env var, and a key in clear.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("purge.sh"),
        "#!/bin/sh\ncurl -X POST \"https://api.cloudflare.com/client/v4/zones/$ZONE_ID/purge_cache\" \\\n  -H \"X-Auth-Email: $CF_API_EMAIL\" \\\n  -H \"X-Auth-Key: $CF_API_KEY\" \\\n  --data '{\"purge_everything\":true}'\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("settings.py"),
        format!("CLOUDFLARE_EMAIL = \"ops@example.com\"\nCLOUDFLARE_API_KEY = \"{KEY}\"\n"),
    )
    .unwrap();
    dir
}

#[test]
fn scan_output_writes_the_file_and_nothing_to_stdout() {
    let dir = project();
    let out_file = dir.path().join("out").join("scan.json");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let direct = bin().args(["scan", "--format", "json"]).arg(dir.path()).output().unwrap();
    assert_eq!(direct.status.code(), Some(1));
    for flag in ["-o", "--output"] {
        let out = bin().args(["scan", "--format", "json", flag]).arg(&out_file).arg(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(stdout(&out), "");
        let written = std::fs::read_to_string(&out_file).unwrap();
        // The file holds the findings stdout gets (the out/ folder is inside the tree: its
        // earlier output is read, which the summary counts, but not reported as findings).
        let (w, d): (serde_json::Value, serde_json::Value) =
            (serde_json::from_str(&written).unwrap(), serde_json::from_slice(&direct.stdout).unwrap());
        assert_eq!(w["findings"], d["findings"]);
        assert!(!written.contains(KEY));
    }
    // Nothing but the output itself is left in its folder (no temporary file).
    let names: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["scan.json"]);
}

#[test]
fn scan_output_to_a_missing_folder_exits_2() {
    let dir = project();
    let out = bin().args(["scan", "-o"]).arg(dir.path().join("no/such/dir/x.sarif")).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
}

#[test]
fn compact_is_one_redacted_line_per_finding() {
    let root = fixtures();
    let json = bin().args(["scan", "--format", "json"]).arg(&root).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let out = bin().args(["scan", "--format", "compact"]).arg(&root).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), findings.len());
    let shape = regex::Regex::new(r"^[^:\n]+:\d+:\d+: (low|medium|high|critical) [a-z0-9-]+: \S.*$").unwrap();
    for (line, f) in lines.iter().zip(findings) {
        assert!(shape.is_match(line), "{line}");
        let head = format!(
            "{}:{}:{}: {} {}: ",
            f["path"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["severity"].as_str().unwrap(),
            f["rule"].as_str().unwrap()
        );
        assert!(line.starts_with(&head), "{line} vs {head}");
    }
    // No secret of the demo tree in full (every literal's value is redacted).
    let secrets = regex::Regex::new(r"\b[a-f0-9]{37,45}\b").unwrap();
    assert!(!secrets.is_match(&text), "{text}");
    assert!(stderr(&out).contains(&format!("{} findings", findings.len())), "{}", stderr(&out));
}

#[test]
fn max_file_size_takes_units() {
    let dir = project();
    for size in ["16MiB", "16M", "512KiB", "10MB", "4096"] {
        bin().args(["scan", "--max-file-size", size]).arg(dir.path()).assert().code(1);
    }
    // 20 bytes: both files are cut, and say so.
    let out = bin().args(["scan", "--format", "json", "--max-file-size", "20B"]).arg(dir.path()).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["warnings"].as_array().unwrap().iter().any(|w| w["reason"] == "too-large"), "{doc}");
    let bad = bin().args(["scan", "--max-file-size", "16 parsecs"]).arg(dir.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("16MiB"), "{}", stderr(&bad));
    let help = bin().args(["scan", "--help"]).output().unwrap();
    assert!(stdout(&help).contains("16MiB"), "{}", stdout(&help));
}

#[test]
fn each_command_lists_only_the_formats_it_writes() {
    let help = |args: &[&str]| stdout(&bin().args(args).arg("--help").output().unwrap());
    assert!(help(&["scan"]).contains("sarif") && help(&["scan"]).contains("compact"));
    for cmd in [&["plan"][..], &["rules", "list"], &["verify"]] {
        let text = help(cmd);
        assert!(!text.contains("sarif") && !text.contains("compact"), "{cmd:?}: {text}");
        let mut args = cmd.to_vec();
        args.extend(["--format", "sarif"]);
        if cmd != ["rules", "list"] {
            args.push("fixtures/python");
        }
        let out = bin().current_dir(env!("CARGO_MANIFEST_DIR")).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(stderr(&out).contains("invalid value 'sarif'"), "{cmd:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{cmd:?} printed something anyway");
    }
}

#[test]
fn plan_and_fix_exit_0_when_they_succeed() {
    let dir = project();
    for args in [&["plan"][..], &["plan", "--format", "json"], &["fix"]] {
        let out = bin().args(args).arg(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{args:?}");
    }
    let emitted = tempfile::tempdir().unwrap();
    for emit in ["cloudflare-json", "terraform"] {
        let out = bin().args(["plan", "--emit", emit, "--out"]).arg(emitted.path()).arg(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{emit}: {}", stderr(&out));
        assert!(stdout(&out).contains("wrote"), "{emit}");
    }
    let out = bin().args(["fix", "--apply"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read_to_string(dir.path().join("purge.sh")).unwrap().contains("Authorization: Bearer"));
    // Errors still exit 2.
    bin().args(["plan", "/definitely/not/here"]).assert().code(2);
}

#[test]
fn report_refuses_sarif_and_foreign_json_clearly() {
    let dir = project();
    let sarif = dir.path().join("saved.sarif");
    bin().args(["scan", "--format", "sarif", "-o"]).arg(&sarif).arg(dir.path().join("purge.sh")).assert().code(1);
    let as_json = dir.path().join("saved.sarif.json");
    std::fs::copy(&sarif, &as_json).unwrap();
    let gitleaks = dir.path().join("gitleaks.json");
    std::fs::write(&gitleaks, "[{\"RuleID\": \"generic-api-key\", \"File\": \"a.py\"}]\n").unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"tool\": {\"name\": \"othertool\"}, \"findings\": []}\n").unwrap();
    for (file, says) in
        [(&sarif, "SARIF log"), (&as_json, "SARIF log"), (&gitleaks, "JSON list"), (&other, "`othertool`")]
    {
        let out = bin().args(["report", "--format", "markdown"]).arg(file).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        assert!(stderr(&out).contains(says), "{}: {}", file.display(), stderr(&out));
        assert_eq!(stdout(&out), "");
    }
}

#[test]
fn rules_check_reports_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.yaml");
    std::fs::write(
        &a,
        "rules:\n  - id: first-bad\n    kind: env\n    severity: high\n    summary: s\n    why: w\n    fix: f\n    keywords: [x]\n    pattern: 'X'\n    colour: red\n  - id: second-bad\n    kind: nonsense\n    severity: high\n    summary: s\n    why: w\n    fix: f\n    keywords: [y]\n    pattern: 'Y'\n",
    )
    .unwrap();
    let b = dir.path().join("b.yaml");
    std::fs::write(&b, "nothing: here\n").unwrap();
    let missing = dir.path().join("missing.yaml");
    let out = bin().args(["rules", "check"]).arg(&a).arg(&b).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("4 problems"), "{err}");
    for says in ["colour", "second-bad", "not a scopesmith rule file", "missing.yaml"] {
        assert!(err.contains(says), "{says}: {err}");
    }
}

#[test]
fn a_report_given_as_baseline_is_not_offered_for_overwriting() {
    let dir = project();
    let report = dir.path().join("report.md");
    std::fs::write(&report, "# Migration report\n").unwrap();
    let out = bin().arg("scan").arg("--baseline").arg(&report).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains("--write-baseline") || !err.contains("report.md`"), "{err}");
    assert!(err.contains("not a scopesmith baseline"), "{err}");
}

#[test]
fn a_bad_baseline_path_in_the_config_says_so() {
    let dir = project();
    std::fs::write(dir.path().join(".scopesmith.yaml"), "fail-on: high\nbaseline: .missing-baseline.json\n").unwrap();
    let out = bin().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(".scopesmith.yaml") && err.contains("baseline"), "{err}");
    assert!(err.contains(".missing-baseline.json"), "{err}");
    // A --baseline flag replaces the file's, so the file's bad path does not matter then.
    let base = dir.path().join("b.json");
    bin().arg("scan").arg("--write-baseline").arg(&base).arg(dir.path()).assert().code(0);
    bin().arg("scan").arg("--baseline").arg(&base).arg(dir.path()).assert().code(0);
}

#[test]
fn config_findings_point_at_the_setting_not_the_indentation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "provider \"cloudflare\" {\n  email   = var.cloudflare_email\n  api_key = var.cloudflare_api_key\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("issuer.yaml"),
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nspec:\n  acme:\n    solvers:\n      - dns01:\n          cloudflare:\n            email: ops@example.com\n            apiKeySecretRef:\n              name: cloudflare-api-key\n              key: api-key\n",
    )
    .unwrap();
    let out = bin().args(["scan", "--format", "json"]).arg(dir.path()).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{doc}");
    for f in findings {
        let path = dir.path().join(f["path"].as_str().unwrap());
        let text = std::fs::read_to_string(path).unwrap();
        let line = text.lines().nth(f["line"].as_u64().unwrap() as usize - 1).unwrap();
        let indent = line.len() - line.trim_start().len();
        assert_eq!(f["column"].as_u64().unwrap() as usize, indent + 1, "{f}");
    }
}

#[test]
fn report_names_unconfirmed_blockers_and_files_with_findings() {
    let dir = project();
    let out = bin().args(["report", "--format", "markdown"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.contains("| Files with findings |"), "{md}");
    // settings.py holds a key in clear: that credential needs a person, so the report must not
    // say nothing blocks.
    assert!(!md.contains("Nothing blocks the migration"), "{md}");
}

#[cfg(not(feature = "online"))]
#[test]
fn a_scan_only_build_says_how_to_get_the_online_commands() {
    let out = bin().args(["verify", "--yes"]).arg(fixtures().join("python")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("built without"), "{}", stderr(&out));
}
