//! The built-in knowledge holds together: every rule fires on a fixture, every group name is
//! a known Cloudflare permission group, and the catalog covers what people script.

use std::collections::BTreeSet;
use std::path::PathBuf;

use scopesmith::rules::RuleSet;

fn rules() -> RuleSet {
    RuleSet::load(&[]).expect("built-in rules load")
}

#[test]
fn the_catalog_covers_the_reference_and_the_scripted_families() {
    let k = rules().knowledge;
    // The SDK listings name about 2,700 operations; nine in ten must carry their groups.
    assert!(k.operations.len() >= 2_500, "{} operations", k.operations.len());
    let grouped = k.operations.iter().filter(|o| !o.groups.is_empty() || !o.accepts_token()).count();
    assert!(grouped * 10 >= k.operations.len() * 9, "{grouped} of {} operations have groups", k.operations.len());
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
    // Alone, so that a rule whose lines a stronger rule wins still shows it works. An e-mail
    // is reported only beside a key use, so an e-mail rule runs with the key rules and must
    // then give findings of its own.
    let keys: Vec<scopesmith::rules::DetectRule> =
        set.detect.iter().filter(|r| r.role == scopesmith::finding::Role::Key).cloned().collect();
    let missing: Vec<&str> = set
        .detect
        .iter()
        .filter(|rule| {
            let with: Vec<scopesmith::rules::DetectRule> = if rule.role == scopesmith::finding::Role::Email {
                std::iter::once((*rule).clone()).chain(keys.iter().cloned()).collect()
            } else {
                vec![(*rule).clone()]
            };
            let result = scopesmith::scan::scan(std::slice::from_ref(&root), &with, &opts).unwrap();
            !result.findings.iter().any(|f| f.rule == rule.id)
        })
        .map(|r| r.id.as_str())
        .collect();
    assert!(missing.is_empty(), "rules with no fixture firing them: {missing:?}");
}

/// The shipped catalog, derived groups and generated SDK maps are exactly what the saved
/// extracts produce (`SCOPESMITH_REGENERATE=1` rewrites them).
#[test]
fn catalog_equals_what_the_extracts_produce() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = scopesmith::rules::generate::generate(root).expect("the extracts parse");
    if std::env::var_os("SCOPESMITH_REGENERATE").is_some() {
        scopesmith::rules::generate::write(root, &files).expect("write generated files");
    }
    for (rel, text) in &files {
        let shipped = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
        assert!(shipped == *text, "{rel} differs from what tools/catalog/extracts produce; run SCOPESMITH_REGENERATE=1 cargo test --test rules catalog_");
    }
    // No stale generated file: every catalog file is one the extracts produce.
    for entry in std::fs::read_dir(root.join("rules/catalog")).unwrap() {
        let rel = format!("rules/catalog/{}", entry.unwrap().file_name().to_string_lossy());
        assert!(files.contains_key(&rel), "{rel} is not produced by the extracts");
    }
}

// ---- Consistency over the whole catalog (issue 14).

#[test]
fn every_operation_has_a_group_or_is_key_only_or_says_why_it_has_none() {
    let k = rules().knowledge;
    let marker = format!("{}: ", scopesmith::rules::generate::NO_KNOWN_GROUP);
    let bad: Vec<String> = k
        .operations
        .iter()
        .filter(|o| o.groups.is_empty() && o.accepts_token())
        .filter(|o| o.path != "/graphql")
        .filter(|o| o.source.as_deref().is_none_or(|s| !s.starts_with(&marker) || s.len() < marker.len() + 20))
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    assert!(bad.is_empty(), "operations without groups, not key-only and no reason given: {bad:?}");
}

/// A page that lists no Accepted Permissions is a fact: its operation is not handed its
/// siblings' groups, while the siblings on the same resource keep theirs (documented or inferred,
/// and said which).
#[test]
fn a_page_without_permissions_is_not_overridden_by_its_siblings() {
    let k = rules().knowledge;
    let op = |m: &str, p: &str| k.operations.iter().find(|o| o.method == m && o.path == p).unwrap();
    let none = op("PUT", "/accounts/{account_id}/browser-rendering/devtools/browser/{session_id}/json/new");
    assert!(none.groups.is_empty(), "{:?}", none.groups);
    assert!(none.source.as_deref().unwrap().contains("lists no Accepted Permissions"), "{:?}", none.source);
    let read = op("GET", "/accounts/{account_id}/browser-rendering/devtools/session");
    assert!(read.groups.contains(&"Browser Rendering Read".to_string()));
    assert!(read.source.as_deref().unwrap().starts_with("reference "));
    let inferred = op("POST", "/accounts/{account_id}/browser-rendering/devtools/browser");
    assert_eq!(inferred.groups, vec!["Browser Rendering Write".to_string()]);
    assert!(inferred.source.as_deref().unwrap().starts_with("inferred from"));
}

/// docs/catalog-coverage.md is generated with the catalog: it matches what the extracts produce
/// and reports the coverage the catalog has.
#[test]
fn the_coverage_page_matches_the_catalog() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = scopesmith::rules::generate::generate(root).expect("the extracts parse");
    let page = &files["docs/catalog-coverage.md"];
    let shipped = std::fs::read_to_string(root.join("docs/catalog-coverage.md")).unwrap_or_default();
    assert!(shipped == *page, "docs/catalog-coverage.md is stale; run `scopesmith catalog generate`");
    let k = rules().knowledge;
    let none = k.operations.iter().filter(|o| o.groups.is_empty() && o.accepts_token()).count();
    let total_line = format!("**Total: {} operations,", k.operations.len());
    assert!(page.contains(&total_line), "{total_line} not in the page");
    assert!(page.contains(&format!("{none} no-known-group")), "{none} no-known-group not in the page");
    for family in ["dns", "realtime_kit", "ai_search", "zero_trust"] {
        assert!(page.contains(&format!("\n| {family} | ")), "no row for {family}");
    }
}

#[test]
fn a_get_accepts_the_read_group_of_every_write_group_it_accepts() {
    let k = rules().knowledge;
    let mut bad = Vec::new();
    for o in k.operations.iter().filter(|o| o.method == "GET") {
        for g in &o.groups {
            let Some(base) = g.strip_suffix(" Write").or_else(|| g.strip_suffix(" Edit")) else { continue };
            let read = format!("{base} Read");
            if k.groups.contains_key(&read) && !o.groups.contains(&read) {
                bad.push(format!("{} {} lacks {read}", o.method, o.path));
            }
        }
    }
    assert!(bad.is_empty(), "{} reads without their Read group: {:?}", bad.len(), &bad[..bad.len().min(20)]);
}

#[test]
fn every_sdk_map_entry_resolves_to_a_catalog_operation() {
    let k = rules().knowledge;
    let mut bad = Vec::new();
    let mut total = 0;
    for map in k.sdks.values() {
        for c in &map.calls {
            total += 1;
            let path = scopesmith::infer::endpoint::normalise(&c.path);
            if scopesmith::infer::endpoint::resolve(&k.operations, &c.http_method, &path).is_none() {
                bad.push(format!("{}: {} -> {} {}", map.sdk, c.method, c.http_method, c.path));
            }
        }
    }
    assert!(total > 6_000, "{total} SDK calls");
    assert!(bad.is_empty(), "{} unresolved SDK calls: {:?}", bad.len(), &bad[..bad.len().min(20)]);
}

#[test]
fn no_two_group_names_differ_only_in_case() {
    let k = rules().knowledge;
    let mut seen = std::collections::BTreeMap::new();
    for name in k.groups.keys() {
        if let Some(other) = seen.insert(name.to_lowercase(), name.clone()) {
            panic!("`{other}` and `{name}` differ only in case");
        }
    }
}

#[test]
fn the_audited_operations_accept_what_the_reference_lists() {
    let k = rules().knowledge;
    let groups = |m: &str, p: &str| {
        k.operations
            .iter()
            .find(|o| o.method == m && o.path == p)
            .unwrap_or_else(|| panic!("{m} {p} is not in the catalog"))
            .groups
            .clone()
    };
    let has = |m: &str, p: &str, g: &str| assert!(groups(m, p).iter().any(|x| x == g), "{m} {p} does not accept {g}");
    // Reads the audit found planned with Write.
    has("GET", "/accounts/{account_id}/storage/kv/namespaces/{namespace_id}", "Workers KV Storage Read");
    has("GET", "/accounts/{account_id}/r2/buckets", "Workers R2 Storage Read");
    has("GET", "/accounts/{account_id}/pages/projects", "Pages Read");
    has("GET", "/accounts/{account_id}/cfd_tunnel", "Cloudflare Tunnel Read");
    has("GET", "/zones/{zone_id}/rulesets", "Zone WAF Read");
    has("GET", "/zones/{zone_id}/load_balancers", "Load Balancers Read");
    has("GET", "/accounts/{account_id}/d1/database/{database_id}", "D1 Read");
    has("POST", "/accounts/{account_id}/d1/database/{database_id}/query", "D1 Read");
    has("GET", "/zones/{zone_id}/healthchecks", "Health Checks Read");
    has("GET", "/zones/{zone_id}/waiting_rooms", "Waiting Rooms Read");
    has("GET", "/accounts/{account_id}/queues", "Queues Read");
    // GET /accounts accepts any account-scoped group; GET /zones/{zone_id} its full list.
    let accounts = groups("GET", "/accounts");
    for g in k.groups.values().filter(|g| g.scope == scopesmith::rules::model::Scope::Account) {
        assert!(accounts.contains(&g.name), "GET /accounts does not accept {}", g.name);
    }
    let zone = groups("GET", "/zones/{zone_id}");
    assert!(zone.len() >= 35, "GET /zones/{{zone_id}} accepts {} groups", zone.len());
    for g in ["Zone Read", "DNS Read", "Cache Purge", "Workers Routes Read", "SSL and Certificates Read"] {
        assert!(zone.iter().any(|x| x == g), "GET /zones/{{zone_id}} lacks {g}");
    }
    // Legacy calls: mapped to the successor's groups or marked retired (key-only, replacement named).
    assert_eq!(groups("DELETE", "/zones/{zone_id}/purge_cache"), vec!["Cache Purge".to_string()]);
    assert_eq!(groups("GET", "/zones/{zone_id}/analytics/dashboard"), vec!["Analytics Read".to_string()]);
    for (m, p) in [("PUT", "/zones/{zone_id}/workers/script"), ("GET", "/user/firewall/access_rules/rules")] {
        let op = k.operations.iter().find(|o| o.method == m && o.path == p).unwrap();
        assert!(
            !op.accepts_token() && op.note.as_deref().is_some_and(|n| n.contains("/accounts/{account_id}/")),
            "{m} {p}"
        );
    }
}

#[test]
fn graphql_datasets_name_their_group() {
    let k = rules().knowledge;
    let zone = k.graphql_needs(
        "viewer { zones(filter: {zoneTag: $z}) { httpRequests1dGroups(limit: 1) { sum { requests } } } }",
    );
    assert_eq!(zone.needs[0].0, vec!["Analytics Read".to_string()]);
    let account = k.graphql_needs(
        "viewer { accounts(filter: {accountTag: $a}) { r2OperationsAdaptiveGroups(limit: 1) { count } } }",
    );
    assert_eq!(account.needs[0].0, vec!["Account Analytics Read".to_string()]);
}

#[test]
fn the_common_groups_carry_their_published_ids() {
    let k = rules().knowledge;
    for g in [
        "DNS Read",
        "DNS Write",
        "Zone Read",
        "Zone Write",
        "Cache Purge",
        "Zone Settings Read",
        "Zone Settings Write",
        "Workers Scripts Write",
        "Workers Routes Write",
        "Page Rules Write",
        "Firewall Services Write",
        "SSL and Certificates Write",
        "Analytics Read",
    ] {
        let id = k.groups[g].id.as_deref().unwrap_or_else(|| panic!("{g} has no id"));
        assert_eq!(id.len(), 32, "{g}");
    }
}
