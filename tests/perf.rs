//! The fast paths give exactly what the simple ones give: the keyword gate against an
//! overlapping case-insensitive search, the SDK automaton against one search per needle, the
//! endpoint index against the catalog scan, and every output at 1 and 4 threads.

mod common;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasickBuilder, MatchKind};
use scopesmith::infer::callsite::{self, CallSite};
use scopesmith::infer::endpoint::{self, EndpointIndex};
use scopesmith::infer::sdk_match::SdkMatcher;
use scopesmith::rules::RuleSet;
use scopesmith::scan::gate::Gate;
use scopesmith::scan::lines::Lines;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::load(&[]).expect("built-in rules load"));

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every fixture file's text, plus a few made-up texts that stress the edge cases.
fn texts() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = walkdir::WalkDir::new(fixtures())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((e.path().display().to_string(), String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    out.push(("upper".into(), "CLOUDFLARE_API_KEY=1 X-AUTH-KEY: cf_Api_Key ProVider \"CloudFlare\"".into()));
    out.push(("repeat".into(), "cf_api_keycf_api_key cloudflarecloudflare_api_key ß".repeat(3000)));
    out.push(("empty".into(), String::new()));
    out
}

#[test]
fn the_keyword_gate_finds_what_an_overlapping_case_insensitive_search_finds() {
    let mut keywords: Vec<String> = RULES.detect.iter().flat_map(|r| r.keywords.clone()).collect();
    keywords.sort();
    keywords.dedup();
    let gate = Gate::new(&keywords);
    let reference = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&keywords)
        .expect("automaton");
    let mut found = Vec::new();
    let mut files_with_hits = 0;
    for (name, text) in texts() {
        let mut want: Vec<(usize, usize)> =
            reference.find_overlapping_iter(text.as_bytes()).map(|m| (m.pattern().as_usize(), m.start())).collect();
        want.sort_unstable_by_key(|&(k, at)| (at, k));
        want.dedup();
        gate.occurrences(text.as_bytes(), &mut found);
        assert_eq!(found, want, "{name}");
        files_with_hits += usize::from(!want.is_empty());
    }
    assert!(files_with_hits > 50, "the fixtures hold keywords ({files_with_hits} files)");
}

fn key(c: &CallSite) -> (String, usize, String, String, String) {
    (c.path.clone(), c.line, c.method.clone(), c.normal.template(), c.via.clone())
}

#[test]
fn the_sdk_automaton_finds_what_one_search_per_needle_finds() {
    let mut total = 0;
    for (name, text) in texts() {
        let lines = Lines::new(&text);
        for sdk in RULES.knowledge.sdks.values() {
            let want: Vec<_> = callsite::sdk_calls(&name, &text, &lines, &[sdk]).iter().map(key).collect();
            let mut got = Vec::new();
            SdkMatcher::new(sdk).calls(&name, &text, &lines, &mut got);
            let got: Vec<_> = got.iter().map(key).collect();
            assert_eq!(got, want, "{name} with {}", sdk.sdk);
            total += want.len();
        }
    }
    assert!(total > 20, "the fixtures hold SDK calls ({total})");
}

#[test]
fn the_endpoint_index_resolves_as_the_catalog_scan_does() {
    let ops = &RULES.knowledge.operations;
    let index = EndpointIndex::new(ops);
    let mut paths: Vec<String> = ops.iter().map(|o| o.path.clone()).collect();
    paths.extend(RULES.knowledge.sdks.values().flat_map(|s| s.calls.iter().map(|c| c.path.clone())));
    // Calls as code writes them: literal ids, extra and missing segments.
    let more: Vec<String> = paths
        .iter()
        .flat_map(|p| {
            [
                p.replace("{zone_id}", "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1"),
                format!("{p}/extra"),
                p.rsplit_once('/').map(|x| x.0.to_string()).unwrap_or_default(),
                p.replace('{', "x").replace('}', ""),
            ]
        })
        .collect();
    paths.extend(more);
    let mut resolved = 0;
    for p in &paths {
        let n = endpoint::normalise(p);
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] {
            let want = endpoint::resolve(ops, m, &n).map(|o| (&o.id, &o.path));
            let got = index.resolve(ops, m, &n).map(|o| (&o.id, &o.path));
            assert_eq!(got, want, "{m} {p}");
            resolved += usize::from(want.is_some());
        }
    }
    assert!(resolved > 100, "{resolved}");
}

fn run(args: &[&str]) -> Vec<u8> {
    let out = common::bin().args(args).arg(fixtures()).output().expect("runs");
    // scan gates (1: found); plan answers and exits 0 (issue 20).
    let want = if args[0] == "scan" { 1 } else { 0 };
    assert_eq!(out.status.code(), Some(want), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn json_sarif_and_plan_are_identical_at_1_and_4_threads() {
    for cmd in [&["scan", "--format", "json"][..], &["scan", "--format", "sarif"], &["plan", "--format", "json"]] {
        let with = |threads: &str| {
            let mut args = cmd.to_vec();
            args.extend(["--threads", threads]);
            run(&args)
        };
        let one = with("1");
        assert!(one.len() > 1000, "{cmd:?}");
        assert!(one == with("4"), "{cmd:?} differs between 1 and 4 threads");
    }
}
