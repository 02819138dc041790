//! `plan --emit` (issue 5): token bodies checked against the documented create-token shape
//! (create-via-api.mdx, facts 5.1/5.2), every Terraform file parsed with hcl-rs, both pinned
//! as reviewed snapshots.

use std::path::{Path, PathBuf};

use scopesmith::policy::{self, EmitOptions};
use scopesmith::rules::synced::{scope_string, RemoteGroup, Synced};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plan(dir: &Path) -> scopesmith::infer::Plan {
    let rules = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load");
    let opts = scopesmith::scan::ScanOptions::default();
    let result = scopesmith::scan::scan(&[dir.to_path_buf()], &rules.detect, &opts).expect("scan runs");
    scopesmith::infer::plan(&result, &rules.knowledge)
}

fn ecosystems() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// The documented body: name, policies[{effect, resources, permission_groups[{id, name}]}],
/// optional condition.request_ip.in and expires_on; nothing else.
fn check_body(b: &Value) -> Result<(), String> {
    let obj = b.as_object().ok_or("body is not an object")?;
    for k in obj.keys() {
        if !["name", "policies", "condition", "expires_on", "not_before"].contains(&k.as_str()) {
            return Err(format!("unknown field {k}"));
        }
    }
    obj.get("name").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or("name")?;
    let policies = obj.get("policies").and_then(Value::as_array).filter(|p| !p.is_empty()).ok_or("policies")?;
    for p in policies {
        if p.get("effect").and_then(Value::as_str) != Some("allow") {
            return Err("effect".into());
        }
        let res = p.get("resources").and_then(Value::as_object).filter(|r| !r.is_empty()).ok_or("resources")?;
        for (k, v) in res {
            if !k.starts_with("com.cloudflare.api.") {
                return Err(format!("resource key {k}"));
            }
            match v {
                Value::String(s) if s == "*" => {}
                Value::Object(inner) => {
                    if inner.get("com.cloudflare.api.account.zone.*").and_then(Value::as_str) != Some("*") {
                        return Err(format!("nested resource under {k}"));
                    }
                }
                _ => return Err(format!("resource value under {k}")),
            }
        }
        let groups = p.get("permission_groups").and_then(Value::as_array).filter(|g| !g.is_empty()).ok_or("groups")?;
        for g in groups {
            let id = g.get("id").and_then(Value::as_str).ok_or("group id")?;
            let documented = id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit());
            if !documented && !id.starts_with("<id of ") {
                return Err(format!("group id {id} is neither documented nor a placeholder"));
            }
            g.get("name").and_then(Value::as_str).ok_or("group name")?;
        }
    }
    if let Some(c) = obj.get("condition") {
        c.pointer("/request_ip/in").and_then(Value::as_array).ok_or("condition.request_ip.in")?;
    }
    Ok(())
}

#[test]
fn cloudflare_json_has_the_documented_shape() {
    let opts = policy::validate(&EmitOptions {
        allow_ip: vec!["203.0.113.7".into(), "2001:db8::/32".into()],
        expires_on: Some("2026-12-31T23:59:59Z".into()),
        user_token: false,
        account_id: None,
    })
    .unwrap();
    for eco in ecosystems() {
        let tokens = policy::tokens(&plan(&root().join("fixtures").join(&eco)), &opts);
        let files = policy::cloudflare::render(&tokens);
        let mut all = String::new();
        for (name, text) in &files {
            let v: Value = serde_json::from_str(text).unwrap();
            if !name.ends_with(".notes.json") {
                check_body(&v).unwrap_or_else(|e| panic!("{eco}/{name}: {e}"));
                assert_eq!(
                    v.pointer("/condition/request_ip/in"),
                    Some(&serde_json::json!(["2001:db8::/32", "203.0.113.7/32"]))
                );
                assert_eq!(v["expires_on"], "2026-12-31T23:59:59Z");
            }
            all.push_str(&format!("==> {name}\n{text}"));
        }
        insta::assert_snapshot!(format!("policy-json@{eco}"), all);
    }
}

/// A `catalog sync` cache listing every group the bundled table has an id for.
fn synced() -> Synced {
    let k = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load").knowledge.into_inner();
    let groups = k
        .groups
        .values()
        .filter_map(|g| {
            let scopes = vec![scope_string(g.scope).to_string()];
            g.id.clone().map(|id| RemoteGroup { id, name: g.name.clone(), scopes })
        })
        .collect();
    Synced { path: "permission-groups.json".into(), groups }
}

#[test]
fn terraform_parses_as_hcl() {
    let cache = synced();
    for eco in ecosystems() {
        let p = plan(&root().join("fixtures").join(&eco));
        for (label, v4, user) in [("v5", false, false), ("v5-user", false, true), ("v4", true, false)] {
            let opts =
                EmitOptions { allow_ip: vec!["198.51.100.0/24".into()], user_token: user, ..EmitOptions::default() };
            let tokens = policy::tokens(&p, &opts);
            if tokens.is_empty() {
                continue;
            }
            let provider = if v4 { policy::terraform::Provider::V4 } else { policy::terraform::Provider::V5 };
            // Group ids written as they are (a `catalog sync` cache) or looked up by name.
            for synced in [None, Some(&cache)] {
                let tf = policy::terraform::render(&tokens, provider, synced);
                let body: hcl::Body = hcl::from_str(&tf).unwrap_or_else(|e| panic!("{eco} {label}: {e}\n{tf}"));
                let kinds: Vec<String> = body
                    .blocks()
                    .filter(|b| b.identifier() == "resource")
                    .filter_map(|b| b.labels().first().map(|l| l.as_str().to_string()))
                    .collect();
                let want = if v4 || user { "cloudflare_api_token" } else { "cloudflare_account_token" };
                assert!(kinds.iter().all(|k| k == want), "{eco} {label}: {kinds:?}");
                assert_eq!(kinds.len(), tokens.len());
                if label != "v5-user" && synced.is_none() {
                    insta::assert_snapshot!(format!("policy-tf-{label}@{eco}"), tf);
                }
            }
        }
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    assert!(policy::validate(&EmitOptions { allow_ip: vec!["nope".into()], ..Default::default() }).is_err());
    assert!(policy::validate(&EmitOptions { expires_on: Some("tomorrow".into()), ..Default::default() }).is_err());
}
