//! Issue 18: template links, escalation warnings, `check`, `explain-denied`, OAuth plans and
//! the cutover runbook, end to end on `fixtures/saas` (a multi-tenant app that stores each
//! tenant's e-mail and Global API Key, a CI job, a committed Terraform token policy).

mod common;

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

/// The binary, with a cache folder that holds nothing: a developer's `catalog sync` results
/// would change the ids and scopes these tests expect.
fn bin() -> Command {
    common::bin()
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
    bin().args(["plan", "--emit", "template-url", "--out"]).arg(out.path()).arg(saas()).assert().code(0);
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
        let unmapped: BTreeSet<String> =
            l["unmapped"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
        assert_eq!(want.len() + unmapped.len(), groups.len(), "every planned group is a key or listed unmapped");
        for url in [l["user_url"].as_str().unwrap(), l["account_url"].as_str().unwrap()] {
            let keys = scopesmith::policy::template_url::keys_of(url).expect("permissionGroupKeys decodes");
            let got: BTreeSet<(String, String)> = keys.into_iter().map(|k| (k.key, k.kind)).collect();
            assert_eq!(got, want, "{credential}: {url}");
        }
        assert!(l["user_url"].as_str().unwrap().starts_with("https://dash.cloudflare.com/profile/api-tokens?"));
        assert!(l["user_url"].as_str().unwrap().contains("&accountId=*&zoneId=all&name=scopesmith%3A%20"));
        assert!(l["account_url"]
            .as_str()
            .unwrap()
            .starts_with("https://dash.cloudflare.com/?to=/:account/api-tokens&"));
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

fn check(args: &[&str]) -> (i32, String) {
    let out = bin()
        .arg("check")
        .arg("--policy")
        .arg(saas().join("infra/ci-token.tf"))
        .args(["--credential", "CF_API_KEY"])
        .args(args)
        .arg(saas())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn check_fails_on_the_missing_group_and_names_its_call_site() {
    let (code, text) = check(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("error: POST /zones/{zone_id}/purge_cache needs Cache Purge, which the policy does not grant"),
        "{text}"
    );
    assert!(text.contains("needed at .github/workflows/release.yml:20"), "{text}");
    assert!(text.contains("fix: add Cache Purge to the token's permission groups"), "{text}");
    // The granted DNS Read is used; Zone Settings Write is drift.
    assert!(
        text.contains("warning: Zone Settings Write is granted but no code of CF_API_KEY needs it (drift)"),
        "{text}"
    );
    assert!(!text.contains("DNS Read is granted"), "{text}");
    let (_, json) = check(&["--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["fails"], true);
    let t = &v["tokens"][0];
    assert_eq!(t["label"], "cloudflare_account_token.release_ci");
    assert_eq!(t["gaps"].as_array().unwrap().len(), 1);
    assert_eq!(t["gaps"][0]["kind"], "missing-group");
    assert_eq!(t["gaps"][0]["need"]["groups"], serde_json::json!(["Cache Purge"]));
    assert_eq!(t["unused"], serde_json::json!(["Zone Settings Write"]));
}

#[test]
fn check_passes_once_the_policy_is_fixed_and_flags_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let fixed = std::fs::read_to_string(saas().join("infra/ci-token.tf"))
        .unwrap()
        .replace("\"Zone Settings Write\"", "\"Cache Purge\"")
        .replace("zone_settings_write", "cache_purge");
    let p = dir.path().join("ci-token.tf");
    std::fs::write(&p, &fixed).unwrap();
    let out =
        bin().arg("check").arg("--policy").arg(&p).args(["--credential", "CF_API_KEY"]).arg(saas()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("ok: the policy grants what the code needs, and nothing more"), "{text}");
    // A JSON policy granting API Tokens Write on top: drift and an escalation warning, no failure.
    let body = serde_json::json!({"name": "scopesmith: CF_API_KEY", "policies": [
        {"effect": "allow", "resources": {"com.cloudflare.api.account.zone.b204ed9fa6ef6dda055245f098b96e75": "*"},
         "permission_groups": [{"id": "x", "name": "Cache Purge"}, {"id": "82e64a83756745bbbb1c9c2701bf816b"}]},
        {"effect": "allow", "resources": {"com.cloudflare.api.user.abc": "*"}, "permission_groups": [{"id": "y", "name": "API Tokens Write"}]}
    ]});
    let j = dir.path().join("token.json");
    std::fs::write(&j, body.to_string()).unwrap();
    let out = bin().arg("check").arg("--policy").arg(&j).arg(saas()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("warning: escalation: API Tokens Write can mint or widen access"), "{text}");
    // A token limited to another zone lacks the resource.
    let other = body.to_string().replace("b204ed9fa6ef6dda055245f098b96e75", "00000000000000000000000000000001");
    std::fs::write(&j, other).unwrap();
    let out = bin().arg("check").arg("--policy").arg(&j).arg(saas()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("needs Cache Purge on zone b204ed9fa6ef6dda055245f098b96e75"), "{text}");
}

#[test]
fn check_markdown_and_sarif() {
    let (_, md) = check(&["--format", "markdown"]);
    assert!(md.starts_with("## scopesmith: permissions needed vs granted"), "{md}");
    assert!(md.contains("| release workflow: purge and DNS check (cloudflare_account_token.release_ci) | `POST /zones/{zone_id}/purge_cache` | `.github/workflows/release.yml:20` | Cache Purge | add Cache Purge to the token's permission groups |"), "{md}");
    let (_, sarif) = check(&["--format", "sarif"]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["missing-permission", "unused-permission"]);
    assert_eq!(results[0]["level"], "error");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert!(loc["artifactLocation"]["uri"].as_str().unwrap().ends_with(".github/workflows/release.yml"));
    assert_eq!(loc["region"]["startLine"], 20);
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn diff_base_keeps_only_what_the_change_adds() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    copy_tree(&saas(), repo);
    git(repo, &["init", "-q"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "base"]);
    // Before any change: the purge gap is old, so nothing is reported.
    let run = |fmt: &str| {
        let out = bin()
            .current_dir(repo)
            .args([
                "check",
                "--policy",
                "infra/ci-token.tf",
                "--credential",
                "CF_API_KEY",
                "--diff-base",
                "HEAD",
                "--format",
                fmt,
                ".",
            ])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, text) = run("human");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("0 missing permissions, 0 unused groups"), "{text}");
    // The change adds a call that needs DNS Write, which the policy does not grant.
    let wf = repo.join(".github/workflows/release.yml");
    let mut text = std::fs::read_to_string(&wf).unwrap();
    text.push_str("      - name: Add the release record\n        run: |\n          curl -fsS -X POST \"https://api.cloudflare.com/client/v4/zones/b204ed9fa6ef6dda055245f098b96e75/dns_records\" \\\n            -H \"X-Auth-Email: $CF_EMAIL\" -H \"X-Auth-Key: $CF_API_KEY\" --data '{\"type\":\"TXT\",\"name\":\"release\",\"content\":\"v1\"}'\n");
    std::fs::write(&wf, text).unwrap();
    let (code, md) = run("markdown");
    assert_eq!(code, Some(1), "{md}");
    assert!(md.contains("Only what this change adds since `HEAD`."), "{md}");
    assert!(md.contains("`POST /zones/{zone_id}/dns_records`"), "{md}");
    assert!(!md.contains("purge_cache"), "the old gap is not the change's: {md}");
    assert!(!md.contains("drift"), "the policy file did not change: {md}");
    let (_, sarif) = run("sarif");
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".github/workflows/release.yml"
    );
}

#[test]
fn explain_denied_names_the_call_site_group_and_change() {
    let out = bin()
        .args(["explain-denied", "Error: Actor 'com.cloudflare.api.token.0123' requires permission 'com.cloudflare.api.account.zone.list' to list zones"])
        .arg(saas())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("`com.cloudflare.api.account.zone.list` is asked for by GET /zones"), "{text}");
    assert!(text.contains("GET /zones  (credential"), "{text}");
    assert!(text.contains("at app/cloudflare.py:18"), "{text}");
    assert!(text.contains("change: add `Zone Read` to the token"), "{text}");
    assert!(!text.contains("purge_cache"), "only the calls that ask for zone.list: {text}");
    // 10000 with the committed policy: only what that policy lacks.
    let out = bin()
        .args(["explain-denied", "10000", "--format", "json", "--policy"])
        .arg(saas().join("infra/ci-token.tf"))
        .arg(saas())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls: Vec<String> =
        v["suspects"].as_array().unwrap().iter().map(|s| s["call"].as_str().unwrap().to_string()).collect();
    assert!(calls.contains(&"POST /zones/{zone_id}/purge_cache".to_string()), "{calls:?}");
    assert!(!calls.contains(&"GET /zones/{zone_id}/dns_records".to_string()), "DNS Read is granted: {calls:?}");
    // 9109 has no source here: said so, every call listed.
    let out = bin().args(["explain-denied", "9109"]).arg(saas()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("9109: scopesmith has no source for what this code means"), "{text}");
}

#[test]
fn the_collecting_app_is_not_one_token_and_gets_an_oauth_client() {
    let plan = plan_json(&saas());
    let creds = plan["credentials"].as_array().unwrap();
    let collected: Vec<&str> =
        creds.iter().filter(|c| !c["collected"].is_null()).map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(collected, ["app/analytics.py", "app/cloudflare.py"], "the CI job's key is not collected from users");
    let c = &creds.iter().find(|c| c["name"] == "app/cloudflare.py").unwrap()["collected"];
    assert_eq!(c["app"], "multi-tenant-app");
    assert_eq!(c["client"], "confidential");
    let signals: BTreeSet<&str> =
        c["evidence"].as_array().unwrap().iter().map(|e| e["signal"].as_str().unwrap()).collect();
    for s in ["form", "storage", "crypto", "per-user"] {
        assert!(signals.contains(s), "{s} missing from {signals:?}");
    }
    let human = String::from_utf8(bin().arg("plan").arg(saas()).output().unwrap().stdout).unwrap();
    assert!(
        human.contains("NOT ONE TOKEN: this app asks its users for their Cloudflare e-mail and Global API Key"),
        "{human}"
    );

    // Without a synced scope list only documented ids are used: every group here is unmapped.
    let out = tempfile::tempdir().unwrap();
    bin().args(["plan", "--emit", "oauth", "--out"]).arg(out.path()).arg(saas()).assert().code(0);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("oauth-client.json")).unwrap()).unwrap();
    let req = &doc["request"];
    assert_eq!(req["grant_types"], serde_json::json!(["authorization_code", "refresh_token"]));
    assert_eq!(req["response_types"], serde_json::json!(["code"]));
    assert_eq!(req["scopes"], serde_json::json!(["offline_access"]));
    assert_eq!(req["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(doc["plan"]["unmapped"], serde_json::json!(["Cache Purge", "DNS Read", "Zone Read", "Analytics Read"]));
    let tf = std::fs::read_to_string(out.path().join("oauth_client.tf")).unwrap();
    let body: hcl::Body = hcl::from_str(&tf).expect("oauth_client.tf parses");
    let block = body.blocks().find(|b| b.identifier.as_str() == "resource").unwrap();
    assert_eq!(block.labels[0].as_str(), "cloudflare_oauth_client");

    // With the synced list: mapped by name; the analytics page's group is optional.
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["plan", "--emit", "oauth", "--oauth-scopes"])
        .arg(root().join("tests/data/oauth/scopes.json"))
        .arg("--out")
        .arg(out.path())
        .arg(saas())
        .assert()
        .code(0);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("oauth-client.json")).unwrap()).unwrap();
    assert_eq!(doc["request"]["scopes"], serde_json::json!(["offline_access", "test-dns.read", "test-zone.read"]));
    assert_eq!(doc["request"]["optional_scopes"], serde_json::json!(["test-analytics.read"]));
    assert_eq!(doc["plan"]["unmapped"], serde_json::json!(["Cache Purge"]));
    let tf = std::fs::read_to_string(out.path().join("oauth_client.tf")).unwrap();
    let body: hcl::Body = hcl::from_str(&tf).expect("oauth_client.tf parses");
    let block = body.blocks().find(|b| b.identifier.as_str() == "resource").unwrap();
    let scopes = block.body.attributes().find(|a| a.key.as_str() == "scopes").unwrap();
    assert_eq!(
        hcl::format::to_string(&scopes.expr).unwrap().split_whitespace().collect::<String>(),
        "[\"offline_access\",\"test-dns.read\",\"test-zone.read\"]"
    );
}

#[test]
fn the_report_has_a_cutover_runbook_ending_with_the_roll() {
    let md =
        String::from_utf8(bin().args(["report", "--format", "markdown"]).arg(saas()).output().unwrap().stdout).unwrap();
    let runbook = &md[md.find("## Cutover runbook").expect("runbook section")..];
    let ci = &runbook[runbook.find("`CF_API_KEY`").unwrap()..];
    assert!(ci.contains("1. Create one scoped token \"scopesmith: CF_API_KEY\" with Cache Purge, DNS Read."), "{ci}");
    assert!(ci.contains("2. Move CI: .github/workflows/release.yml"), "{ci}");
    assert!(ci.contains("3. Delete the key settings CF_API_KEY; the e-mail settings CF_EMAIL"), "{ci}");
    assert!(ci.contains("the CI secrets that held the key and e-mail (used in .github/workflows/release.yml)"), "{ci}");
    assert!(runbook.contains("Replace it with an OAuth client"), "{runbook}");
    assert!(runbook.contains("ask every user to roll their own Global API Key"), "{runbook}");
    // The roll comes last, after every secret's steps.
    let roll = runbook.find("roll (change) the Global API Key in the dashboard").expect("roll step");
    assert!(runbook[roll..].find("### ").is_none(), "nothing after the roll: {runbook}");
    assert!(runbook[roll..].contains("cannot be changed by API"));
    let html =
        String::from_utf8(bin().args(["report", "--format", "html"]).arg(saas()).output().unwrap().stdout).unwrap();
    assert!(html.contains("<section id=\"runbook\">"), "html runbook");
    assert!(
        html.contains("<a href=\"https://dash.cloudflare.com/profile/api-tokens?permissionGroupKeys="),
        "html link"
    );
}

#[test]
fn a_saved_plan_gives_the_same_runbook_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let plan = bin().args(["plan", "--format", "json"]).arg(saas()).output().unwrap().stdout;
    std::fs::write(&saved, plan).unwrap();
    let md =
        String::from_utf8(bin().args(["report", "--format", "markdown"]).arg(&saved).output().unwrap().stdout).unwrap();
    assert!(md.contains("## Cutover runbook"), "{md}");
    assert!(md.contains("Replace it with an OAuth client"), "the collected property survives the JSON: {md}");
    assert!(md.contains("[user token](https://dash.cloudflare.com/profile/api-tokens?permissionGroupKeys="), "{md}");
}

/// Every `evidence` path of every collected-key property in a plan.
fn evidence_paths(plan: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![plan];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(ev)) = m.get("evidence") {
                    out.extend(ev.iter().filter_map(|e| e["path"].as_str().map(str::to_string)));
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

/// The signs of an app collecting its users' keys are read only from files the walk admitted:
/// an ignored or excluded form, table or template is no evidence.
#[test]
fn collected_key_evidence_comes_only_from_admitted_files() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&saas(), dir.path());
    let all = evidence_paths(&plan_json(dir.path()));
    for p in ["migrations/001_tenants.sql", "app/templates/settings.html", "app/forms.py"] {
        assert!(all.contains(p), "{p} is evidence while admitted: {all:?}");
    }
    std::fs::write(dir.path().join(".gitignore"), "migrations/\napp/templates/\n").unwrap();
    std::fs::write(dir.path().join(".scopesmith.yaml"), "exclude: [\"app/forms.py\"]\n").unwrap();
    let admitted = evidence_paths(&plan_json(dir.path()));
    assert!(!admitted.is_empty(), "the app's own code still shows it collects keys");
    for p in ["migrations/001_tenants.sql", "app/templates/settings.html", "app/forms.py"] {
        assert!(!admitted.contains(p), "{p} is ignored or excluded, yet evidence: {admitted:?}");
    }
}

/// `fixtures/wp-plugin`: a WordPress plugin whose settings page asks each site owner for the
/// Cloudflare e-mail and Global API Key and keeps them in `wp_options`.
#[test]
fn a_self_hosted_plugin_gets_a_template_link_not_an_oauth_client() {
    let dir = root().join("fixtures/wp-plugin");
    let plan = plan_json(&dir);
    let creds = plan["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1, "{plan}");
    let c = &creds[0];
    // The option the key is saved under names the credential, not PHP's `$this`.
    assert_eq!(c["name"], "edge_purge_cloudflare_api_key");
    assert_eq!(c["collected"]["app"], "self-hosted-plugin");
    assert!(c["complete"].as_bool().unwrap(), "{c}");
    let groups: BTreeSet<String> = planned(&plan, "edge_purge_cloudflare_api_key").into_iter().collect();
    let want: BTreeSet<String> =
        ["Account Settings Read", "Analytics Read", "Cache Purge", "DNS Read", "Zone Read", "Zone Settings Write"]
            .map(String::from)
            .into();
    assert_eq!(groups, want);

    // One link per site owner's token; the set is Cloudflare's WordPress template.
    let out = tempfile::tempdir().unwrap();
    bin().args(["plan", "--emit", "template-url", "--out"]).arg(out.path()).arg(&dir).assert().code(0);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("template-urls.json")).unwrap()).unwrap();
    let link = &doc["links"][0];
    assert_eq!(link["template"], "WordPress");
    assert_eq!(link["unmapped"], serde_json::json!([]));
    let keys = scopesmith::policy::template_url::keys_of(link["user_url"].as_str().unwrap()).expect("decodes");
    let got: BTreeSet<(String, String)> = keys.into_iter().map(|k| (k.key, k.kind)).collect();
    let wanted: BTreeSet<(String, String)> = want
        .iter()
        .map(|g| scopesmith::policy::template_url::key_for(g).expect("documented key"))
        .map(|k| (k.key, k.kind))
        .collect();
    assert_eq!(got, wanted);

    // Not an OAuth client: a plugin each site owner installs has no server of the vendor's.
    let out = tempfile::tempdir().unwrap();
    bin().args(["plan", "--emit", "oauth", "--out"]).arg(out.path()).arg(&dir).assert().code(0);
    assert!(!out.path().join("oauth-client.json").exists());

    // And no token patch: the stored value is each owner's Global key.
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&dir, tmp.path());
    let fix = bin().arg("fix").arg(tmp.path()).output().unwrap();
    let said = String::from_utf8_lossy(&fix.stderr);
    assert!(
        said.contains("includes/class-edge-purge-api.php:41: declined (edge_purge_cloudflare_api_key)")
            && said.contains("pre-filled template link"),
        "{said}"
    );
}
