//! OAuth client plans for apps that collect their users' Global API Keys
//! (`plan --emit oauth`): the client request body for the OAuth clients API, a Terraform
//! `cloudflare_oauth_client`, and notes.
//!
//! Scopes come from the permission groups the plan inferred for every collected-key
//! credential of the tree. A group's scope id is taken from a synced scope list
//! (`catalog sync --oauth-scopes` caches it; `--oauth-scopes FILE` names a saved
//! `GET /client/v4/oauth/scopes` response instead; either is matched by the
//! scope's `name`, since Cloudflare says scopes correspond to permission names) or from the
//! documented fallback table (`rules/targets/oauth-scopes.yaml`); a group neither names is
//! listed as unmapped, never guessed. Required vs optional: the groups the app's main client
//! module needs (the credential with the most calls) are required, groups only other code
//! paths need are optional (GA 2026-08-20: the user may decline them, so the app must read the
//! granted `scope`). `offline_access` is required, because the app acts later with what it
//! stored. Confidential (client secret) for server apps, PKCE for apps that cannot keep a
//! secret. Sources: cloudflare-docs `fundamentals/oauth/` (create-an-oauth-client.mdx,
//! integrate-with-cloudflare.mdx), terraform-provider-cloudflare `docs/resources/oauth_client.md`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::infer::collected::{AppKind, ClientKind};
use crate::infer::{CredentialPlan, Plan};

/// A scope from `GET /oauth/scopes` (`{id, name, category, scopes[]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedScope {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// The file `catalog sync --oauth-scopes` writes beside the permission-group cache:
/// `{version, source, result: [...]}`, which [`read_synced`] reads like a saved response.
pub const CACHE_FILE: &str = "oauth-scopes.json";

/// The synced scope list `plan --emit oauth` reads when no `--oauth-scopes FILE` is given.
pub fn default_cache_path() -> Option<std::path::PathBuf> {
    crate::outfile::cache_dir().map(|d| d.join(CACHE_FILE))
}

/// Writes the scope list where [`read_synced`] finds it again.
pub fn write_cache(path: &std::path::Path, source: &str, scopes: &[SyncedScope]) -> Result<(), crate::Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::outfile::create_dir(dir)?;
    }
    let doc = serde_json::json!({"version": 1, "source": source, "result": scopes});
    let mut text = serde_json::to_string_pretty(&doc).expect("scopes always serialise");
    text.push('\n');
    crate::outfile::write(path, text.as_bytes())
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeChoice {
    pub group: String,
    pub scope: Option<String>,
    /// `synced`, `fallback table`, or why it is unmapped.
    pub from: String,
    /// `path:line` of the calls that need it.
    pub needed_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OauthPlan {
    pub credentials: Vec<String>,
    pub client: ClientKind,
    pub required: Vec<ScopeChoice>,
    pub optional: Vec<ScopeChoice>,
    pub unmapped: Vec<String>,
    pub notes: Vec<String>,
}

/// Reads a saved `GET /oauth/scopes` response (`{result: [...]}` or a bare list).
pub fn read_synced(path: &std::path::Path) -> Result<Vec<SyncedScope>, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| crate::Error::Usage {
        message: format!("{}:{}:{}: not valid JSON: {e}", path.display(), e.line(), e.column()),
        help: "save the response of `GET /client/v4/oauth/scopes` as it comes".into(),
    })?;
    let list = v.get("result").cloned().unwrap_or(v);
    serde_json::from_value(list).map_err(|e| crate::Error::Usage {
        message: format!("{}: not a list of OAuth scopes ({e})", path.display()),
        help: "each scope needs `id` and `name`, as GET /client/v4/oauth/scopes returns them".into(),
    })
}

fn scope_for(group: &str, synced: &[SyncedScope]) -> (Option<String>, String) {
    // The dashboard says Edit where the API says Write (permissions.mdx).
    let alt = group.strip_suffix(" Write").map(|b| format!("{b} Edit"));
    if let Some(s) = synced
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(group) || alt.as_deref().is_some_and(|a| s.name.eq_ignore_ascii_case(a)))
    {
        return (Some(s.id.clone()), "synced".into());
    }
    if let Some(s) = super::targets::oauth_scopes().iter().find(|s| s.group.as_deref() == Some(group)) {
        return (Some(s.id.clone()), format!("fallback table ({})", s.source));
    }
    let why = if synced.is_empty() {
        "no documented scope id; sync the scope list (`scopesmith catalog sync --oauth-scopes`) to map it"
    } else {
        "the synced scope list has no scope of this name"
    };
    (None, why.into())
}

/// The OAuth plan for the tree's collected-key credentials that want an OAuth client.
pub fn plan_for(plan: &Plan, synced: &[SyncedScope]) -> Option<OauthPlan> {
    let creds: Vec<&CredentialPlan> = plan
        .credentials
        .iter()
        .filter(|c| c.collected.as_ref().is_some_and(|x| x.app == AppKind::MultiTenantApp))
        .collect();
    if creds.is_empty() {
        return None;
    }
    let main = creds.iter().max_by_key(|c| (c.endpoints.len(), std::cmp::Reverse(c.name.clone())))?;
    let core: BTreeSet<&str> = main.permissions.iter().map(|g| g.name.as_str()).collect();
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &creds {
        for g in &c.permissions {
            if !seen.insert(g.name.clone()) {
                continue;
            }
            let (scope, from) = scope_for(&g.name, synced);
            let needed_by: Vec<String> = creds
                .iter()
                .flat_map(|c| c.permissions.iter().filter(|p| p.name == g.name).flat_map(|p| p.because.clone()))
                .collect();
            let choice = ScopeChoice { group: g.name.clone(), scope, from, needed_by };
            if core.contains(g.name.as_str()) {
                required.push(choice);
            } else {
                optional.push(choice);
            }
        }
    }
    let unmapped: Vec<String> =
        required.iter().chain(&optional).filter(|s| s.scope.is_none()).map(|s| s.group.clone()).collect();
    let client = if creds.iter().any(|c| c.collected.as_ref().is_some_and(|x| x.client == ClientKind::Pkce)) {
        ClientKind::Pkce
    } else {
        ClientKind::Confidential
    };
    let mut notes = vec![
        "store each customer's refresh token (offline_access) encrypted, where the e-mail and Global API Key were stored, and delete the stored keys once the customer has authorized the app".to_string(),
        "read the granted `scope` from the token response: a user may decline optional scopes, and an account admin may block third-party apps".to_string(),
        "a new client is private to the owning account; making it public is permanent and needs DNS TXT verification of the publisher domain".to_string(),
        "third-party apps get the Authorization Code flow only (no client-credentials grant): jobs that run without a user use the stored refresh token, or an account token the customer creates".to_string(),
    ];
    notes.push(match client {
        ClientKind::Confidential => "confidential client: the server keeps the client secret (token_endpoint_auth_method client_secret_post)".into(),
        ClientKind::Pkce => "public client with PKCE: the app cannot keep a secret, so it sends a code verifier instead (token_endpoint_auth_method `none`, the RFC 7591 value for public clients: check the OAuth clients API accepts it)".into(),
    });
    if !unmapped.is_empty() {
        notes.push(format!(
            "no scope id for {}: pick the matching scopes in the dashboard's OAuth client form, or run `scopesmith catalog sync --oauth-scopes` (or pass --oauth-scopes with a saved GET /client/v4/oauth/scopes response)",
            unmapped.join(", ")
        ));
    }
    Some(OauthPlan {
        credentials: creds.iter().map(|c| c.name.clone()).collect(),
        client,
        required,
        optional,
        unmapped,
        notes,
    })
}

fn ids(list: &[ScopeChoice]) -> Vec<String> {
    list.iter().filter_map(|s| s.scope.clone()).collect()
}

/// The client request body (fields as the OAuth clients API and the Terraform resource name them).
pub fn request(p: &OauthPlan) -> serde_json::Value {
    let mut scopes = ids(&p.required);
    scopes.push("offline_access".into());
    scopes.sort();
    scopes.dedup();
    serde_json::json!({
        "client_name": "<your app's name>",
        "redirect_uris": ["<https://your-app.example/oauth/cloudflare/callback>"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scopes": scopes,
        "optional_scopes": ids(&p.optional),
        "token_endpoint_auth_method": match p.client { ClientKind::Confidential => "client_secret_post", ClientKind::Pkce => "none" },
    })
}

fn hcl_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace("${", "$${")))
        .collect();
    format!("[{}]", quoted.join(", "))
}

pub fn terraform(p: &OauthPlan) -> String {
    let body = request(p);
    let list = |k: &str| -> Vec<String> {
        body[k]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let mut out = String::from("# Generated by `scopesmith plan --emit oauth`: review before applying.\n");
    for n in &p.notes {
        out.push_str(&format!("# note: {}\n", n.replace('\n', " ")));
    }
    if !ids(&p.optional).is_empty() {
        out.push_str(&format!("# optional scopes (the user may decline them; set them in the dashboard if this provider version has no argument for them): {}\n", ids(&p.optional).join(", ")));
    }
    out.push_str("\nvariable \"cloudflare_account_id\" {\n  description = \"Account that owns the OAuth client\"\n  type        = string\n}\n\n");
    out.push_str("variable \"oauth_redirect_uri\" {\n  description = \"Your app's OAuth callback URL\"\n  type        = string\n}\n\n");
    out.push_str("resource \"cloudflare_oauth_client\" \"app\" {\n");
    out.push_str("  account_id                 = var.cloudflare_account_id\n");
    out.push_str("  client_name                = \"scopesmith: replaces collected Global API Keys\"\n");
    out.push_str("  redirect_uris              = [var.oauth_redirect_uri]\n");
    out.push_str(&format!("  grant_types                = {}\n", hcl_list(&list("grant_types"))));
    out.push_str(&format!("  response_types             = {}\n", hcl_list(&list("response_types"))));
    out.push_str(&format!("  scopes                     = {}\n", hcl_list(&list("scopes"))));
    out.push_str(&format!(
        "  token_endpoint_auth_method = \"{}\"\n",
        body["token_endpoint_auth_method"].as_str().unwrap_or("client_secret_post")
    ));
    out.push_str("}\n");
    crate::report::redact::scrub(&out)
}

fn markdown(p: &OauthPlan) -> String {
    let mut s = String::from("# OAuth client for the app that collects Global API Keys\n\n");
    s.push_str(&format!("Replaces the stored e-mail + Global API Key of: {}.\n\n", p.credentials.join(", ")));
    s.push_str("| Scope | Permission group | Required | Needed by | Mapped from |\n| --- | --- | --- | --- | --- |\n");
    for (list, req) in [(&p.required, "required"), (&p.optional, "optional")] {
        for c in list {
            s.push_str(&format!(
                "| {} | {} | {req} | {} | {} |\n",
                c.scope.as_deref().map(|x| format!("`{x}`")).unwrap_or_else(|| "(unmapped)".into()),
                c.group,
                c.needed_by.join("<br>").replace('|', "\\|"),
                c.from.replace('|', "\\|")
            ));
        }
    }
    s.push_str("| `offline_access` | — | required | storing a refresh token instead of the key | fallback table |\n\n");
    for n in &p.notes {
        s.push_str(&format!("- {n}\n"));
    }
    crate::report::redact::scrub(&s)
}

/// `plan --emit oauth`: `oauth-client.json`, `oauth_client.tf`, `oauth-client.md`.
pub fn render(plan: &Plan, synced: &[SyncedScope]) -> Vec<(String, String)> {
    let Some(p) = plan_for(plan, synced) else { return Vec::new() };
    let mut json = serde_json::to_string_pretty(&serde_json::json!({"request": request(&p), "plan": p}))
        .expect("OAuth plans serialise");
    json.push('\n');
    vec![
        ("oauth-client.json".into(), crate::report::redact::scrub(&json)),
        ("oauth_client.tf".into(), terraform(&p)),
        ("oauth-client.md".into(), markdown(&p)),
    ]
}
