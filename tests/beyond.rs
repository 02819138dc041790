//! Issue 18: template links, escalation warnings, `check`, `explain-denied`, OAuth plans and
//! the cutover runbook, end to end on `fixtures/saas` (a multi-tenant app that stores each
//! tenant's e-mail and Global API Key, a CI job, a committed Terraform token policy).

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn saas() -> PathBuf {
    root().join("fixtures/saas")
}

fn bin() -> Command {
    Command::cargo_bin("scopesmith").expect("binary builds")
}

fn plan_json(dir: &std::path::Path) -> Value {
    let out = bin().args(["plan", "--format", "json"]).arg(dir).output().unwrap();
    serde_json::from_slice(&out.stdout).expect("plan JSON")
}

/// The planned groups of a credential, as `(key, type)` pairs through the documented table.
fn planned(plan: &Value, credential: &str) -> Vec<String> {
    let c = plan["credentials"].as_array().unwrap().iter().find(|c| c["name"] == credential).expect("credential");
    c["permissions"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn template_urls_decode_to_exactly_the_planned_set() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["plan", "--emit", "template-url", "--out"]).arg(out.path()).arg(saas()).assert().code(1);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("template-urls.json")).unwrap()).unwrap();
    let plan = plan_json(&saas());
    let links = doc["links"].as_array().unwrap();
    assert_eq!(links.len(), plan["credentials"].as_array().unwrap().len());
    for l in links {
        let credential = l["credential"].as_str().unwrap();
        let groups = planned(&plan, credential);
        let want: BTreeSet<(String, String)> = groups
            .iter()
            .filter_map(|g| scopesmith::policy::template_url::key_for(g))
            .map(|k| (k.key, k.kind))
            .collect();
        let unmapped: BTreeSet<String> = l["unmapped"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
        assert_eq!(want.len() + unmapped.len(), groups.len(), "every planned group is a key or listed unmapped");
        for url in [l["user_url"].as_str().unwrap(), l["account_url"].as_str().unwrap()] {
            let keys = scopesmith::policy::template_url::keys_of(url).expect("permissionGroupKeys decodes");
            let got: BTreeSet<(String, String)> = keys.into_iter().map(|k| (k.key, k.kind)).collect();
            assert_eq!(got, want, "{credential}: {url}");
        }
        assert!(l["user_url"].as_str().unwrap().starts_with("https://dash.cloudflare.com/profile/api-tokens?"));
        assert!(l["user_url"].as_str().unwrap().contains("&accountId=*&zoneId=all&name=scopesmith%3A%20"));
        assert!(l["account_url"].as_str().unwrap().starts_with("https://dash.cloudflare.com/?to=/:account/api-tokens&"));
    }
    // The CI job's set is exactly Cache Purge + DNS Read, on the one zone.
    assert_eq!(planned(&plan, "CF_API_KEY"), ["Cache Purge", "DNS Read"]);
    let md = std::fs::read_to_string(out.path().join("template-urls.md")).unwrap();
    assert!(md.contains("## CF_API_KEY"), "{md}");
}

#[test]
fn plan_and_report_show_the_links() {
    let out = bin().arg("plan").arg(saas()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("create it in the dashboard (user token): https://dash.cloudflare.com/profile/api-tokens?permissionGroupKeys=%5B%7B%22key%22%3A%22cache%22%2C%22type%22%3A%22purge%22%7D%2C%7B%22key%22%3A%22dns%22%2C%22type%22%3A%22read%22%7D%5D"), "{text}");
    let md = bin().args(["report", "--format", "markdown"]).arg(saas()).output().unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("- Create it in the dashboard: [user token](https://dash.cloudflare.com/profile/api-tokens?permissionGroupKeys="), "{md}");
}
