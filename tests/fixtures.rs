//! Scans every project under `fixtures/` and checks the findings against
//! `tests/expect/<ecosystem>.yaml`, both ways: everything expected is reported, and
//! everything reported is expected. The JSON of each scan is also pinned as a reviewed
//! snapshot (`tests/snapshots/`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Expect {
    #[serde(default)]
    pub findings: Vec<ExpectedFinding>,
    #[serde(default)]
    pub clean: Vec<String>,
    #[serde(default)]
    pub plan: Vec<ExpectedCredential>,
}

#[derive(Debug, Deserialize)]
pub struct ExpectedFinding {
    pub path: String,
    pub line: usize,
    pub kind: String,
    pub credential: Option<String>,
    /// `key` or `email`: which of a line's findings `credential` is about (a line may send both).
    pub role: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ExpectedCredential {
    pub credential: String,
    /// The deployment unit, when the same secret has several in one fixture.
    #[serde(default)]
    pub consumer: Option<String>,
    pub permissions: Vec<String>,
    pub scope: String,
    #[serde(default)]
    pub resources: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ecosystems() -> Vec<(String, Expect)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("tests/expect")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect: Expect = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((name, expect));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn scan(dir: &Path) -> scopesmith::scan::ScanResult {
    let rules = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load");
    let opts = scopesmith::scan::ScanOptions::default();
    scopesmith::scan::scan(&[dir.to_path_buf()], &rules.detect, &opts).expect("scan runs")
}

#[test]
fn every_fixture_matches_its_expectations() {
    let ecosystems = ecosystems();
    assert!(ecosystems.len() >= 8, "expected fixture expectations for every ecosystem");
    let mut problems = Vec::new();
    for (eco, expect) in &ecosystems {
        let dir = root().join("fixtures").join(eco);
        assert!(dir.is_dir(), "fixtures/{eco} is missing");
        let result = scan(&dir);
        let got: BTreeSet<(String, usize, String)> =
            result.findings.iter().map(|f| (f.path.clone(), f.line, f.kind.as_str().to_string())).collect();
        let want: BTreeSet<(String, usize, String)> =
            expect.findings.iter().map(|f| (f.path.clone(), f.line, f.kind.clone())).collect();
        for want in expect.findings.iter().filter(|w| w.role.is_some()) {
            let role = want.role.as_deref().unwrap_or_default();
            if !result.findings.iter().any(|f| {
                f.path == want.path && f.line == want.line && format!("{:?}", f.role).eq_ignore_ascii_case(role)
            }) {
                problems.push(format!("{eco}: no {role} finding at {}:{}", want.path, want.line));
            }
        }
        for miss in want.difference(&got) {
            problems.push(format!("{eco}: missed {}:{} ({})", miss.0, miss.1, miss.2));
        }
        for extra in got.difference(&want) {
            let f = result.findings.iter().find(|f| f.path == extra.0 && f.line == extra.1).unwrap();
            problems.push(format!(
                "{eco}: unexpected {}:{} ({}, rule {}): {}",
                extra.0,
                extra.1,
                extra.2,
                f.rule,
                f.snippet.trim()
            ));
        }
        for want in &expect.findings {
            let Some(cred) = &want.credential else {
                continue;
            };
            let role_ok = |f: &scopesmith::finding::Finding| {
                want.role.as_deref().is_none_or(|r| format!("{:?}", f.role).eq_ignore_ascii_case(r))
            };
            // A line may hold an e-mail and a key site (one finding per role): one of the
            // findings of the expected role must name the credential.
            let here: Vec<_> =
                result.findings.iter().filter(|f| f.path == want.path && f.line == want.line && role_ok(f)).collect();
            if !here.is_empty() && !here.iter().any(|f| f.credential.as_deref() == Some(cred.as_str())) {
                let got: Vec<_> = here.iter().map(|f| f.credential.clone()).collect();
                problems.push(format!("{eco}: {}:{} credential {got:?}, expected {cred}", want.path, want.line));
            }
        }
        for clean in &expect.clean {
            if result.findings.iter().any(|f| &f.path == clean) {
                problems.push(format!("{eco}: {clean} must have no finding"));
            }
        }
        if std::env::var_os("SCOPESMITH_NO_SNAPSHOTS").is_none() {
            let json = scopesmith::report::json::render(&result, &Default::default());
            insta::with_settings!({ snapshot_suffix => eco.clone(), prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!("scan", json);
            });
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_fixture_plan_matches_its_expectations() {
    let rules = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load");
    let mut problems = Vec::new();
    for (eco, expect) in ecosystems() {
        let result = scan(&root().join("fixtures").join(&eco));
        let plan = scopesmith::infer::plan(&result, &rules.knowledge);
        for want in &expect.plan {
            let found = plan.credentials.iter().find(|c| match &want.consumer {
                Some(unit) => c.id.secret == want.credential && &c.id.consumer.0 == unit,
                None => c.name == want.credential || c.name.starts_with(&format!("{} (", want.credential)),
            });
            let Some(got) = found else {
                let names: Vec<&str> = plan.credentials.iter().map(|c| c.name.as_str()).collect();
                problems.push(format!("{eco}: no credential {} (have {names:?})", want.credential));
                continue;
            };
            let mut perms: Vec<String> = got.permissions.iter().map(|p| p.name.clone()).collect();
            perms.sort();
            let mut want_perms = want.permissions.clone();
            want_perms.sort();
            if perms != want_perms {
                problems.push(format!("{eco}: {} permissions {perms:?}, expected {want_perms:?}", want.credential));
            }
            if got.scope != want.scope {
                problems.push(format!("{eco}: {} scope {}, expected {}", want.credential, got.scope, want.scope));
            }
            let resources: BTreeSet<&str> =
                got.permissions.iter().flat_map(|p| p.resources.iter().map(|r| r.as_str())).collect();
            let want_resources: BTreeSet<&str> = want.resources.iter().map(String::as_str).collect();
            if resources != want_resources {
                problems
                    .push(format!("{eco}: {} resources {resources:?}, expected {want_resources:?}", want.credential));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
