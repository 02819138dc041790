//! The built-in knowledge holds together: every rule fires on a fixture, every group name is
//! a known Cloudflare permission group, and the catalog covers what people script.

use std::collections::BTreeSet;
use std::path::PathBuf;

use scopesmith::rules::RuleSet;

fn rules() -> RuleSet {
    RuleSet::load(&[]).expect("built-in rules load")
}

#[test]
fn the_catalog_covers_at_least_300_operations_across_the_scripted_families() {
    let k = rules().knowledge;
    assert!(k.operations.len() >= 300, "{} operations", k.operations.len());
    let families: BTreeSet<&str> = k.operations.iter().map(|o| o.family.as_str()).collect();
    for family in [
        "zones",
        "dns",
        "cache",
        "zone_settings",
        "page_rules",
        "rulesets",
        "firewall",
        "ssl",
        "workers",
        "kv",
        "r2",
        "user",
        "accounts",
    ] {
        assert!(families.contains(family), "no `{family}` operations");
    }
}

#[test]
fn every_group_named_anywhere_is_a_known_permission_group() {
    let k = rules().knowledge;
    let known: BTreeSet<&str> = k.groups.keys().map(String::as_str).collect();
    let mut named: BTreeSet<&str> = BTreeSet::new();
    named.extend(k.operations.iter().flat_map(|o| o.groups.iter().map(String::as_str)));
    for t in k.tools.values() {
        named.extend(t.permissions.iter().map(String::as_str));
        named.extend(t.resources.values().flatten().map(String::as_str));
    }
    let unknown: Vec<&&str> = named.iter().filter(|n| !known.contains(**n)).collect();
    assert!(unknown.is_empty(), "unknown groups: {unknown:?}");
    // Spot checks against Cloudflare's documented names and ids.
    for g in [
        "DNS Read",
        "DNS Write",
        "Zone Read",
        "Cache Purge",
        "Zone Settings Write",
        "Workers Scripts Write",
        "User Details Read",
    ] {
        assert!(known.contains(g), "{g}");
    }
    assert_eq!(k.groups["Zone Read"].id.as_deref(), Some("c8fed203ed3043cba015a93ad1616f1f"));
    assert_eq!(k.groups["DNS Read"].id.as_deref(), Some("82e64a83756745bbbb1c9c2701bf816b"));
}

#[test]
fn known_endpoints_resolve_to_their_documented_groups() {
    let k = rules().knowledge;
    let find = |m: &str, p: &str| {
        let path = scopesmith::infer::endpoint::normalise(p);
        scopesmith::infer::endpoint::resolve(&k.operations, m, &path).map(|o| o.groups.clone())
    };
    assert_eq!(find("POST", "/zones/{}/purge_cache"), Some(vec!["Cache Purge".to_string()]));
    assert!(find("GET", "/zones/{}/dns_records").unwrap().contains(&"DNS Read".to_string()));
    assert_eq!(find("POST", "/zones/{}/dns_records"), Some(vec!["DNS Write".to_string()]));
    assert!(find("PATCH", "/zones/{}/settings/ssl").unwrap().contains(&"Zone Settings Write".to_string()));
    let r2 = k.operations.iter().find(|o| o.path == "/accounts/{account_id}/r2/buckets" && o.method == "GET").unwrap();
    assert!(r2.accepts_token());
}

#[test]
fn every_detection_rule_on_its_own_fires_on_some_fixture() {
    let set = rules();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let opts = scopesmith::scan::ScanOptions::default();
    // Alone, so that a rule whose lines a stronger rule wins still shows it works.
    let missing: Vec<&str> = set
        .detect
        .iter()
        .filter(|rule| {
            let result =
                scopesmith::scan::scan(std::slice::from_ref(&root), std::slice::from_ref(*rule), &opts).unwrap();
            result.findings.is_empty()
        })
        .map(|r| r.id.as_str())
        .collect();
    assert!(missing.is_empty(), "rules with no fixture firing them: {missing:?}");
}
