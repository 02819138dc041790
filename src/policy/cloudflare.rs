//! Token policies as the body of Cloudflare's create-token API, one JSON document per token.
//!
//! Shape: `{name, policies: [{effect, resources, permission_groups: [{id, name}]}],
//! condition?: {request_ip: {in}}, expires_on?}` (see create-via-api.mdx:
//! <https://developers.cloudflare.com/fundamentals/api/how-to/create-via-api/>). The body is
//! kept free of anything Cloudflare does not document; where to send it and what to fill in
//! goes in a sidecar (`<name>.notes.json`).

use serde_json::{json, Map, Value};

use super::{
    group_id_placeholder, zone_name_placeholder, Resource, TokenPolicy, ACCOUNT_PLACEHOLDER, USER_PLACEHOLDER,
};

const ZONE: &str = "com.cloudflare.api.account.zone";
const ACCOUNT: &str = "com.cloudflare.api.account";
const USER: &str = "com.cloudflare.api.user";

/// The resources object of one policy.
pub fn resources(list: &[Resource]) -> Map<String, Value> {
    let mut m = Map::new();
    for r in list {
        let (k, v) = match r {
            Resource::Zone(id) => (format!("{ZONE}.{id}"), json!("*")),
            Resource::ZoneName(n) => (format!("{ZONE}.{}", zone_name_placeholder(n)), json!("*")),
            Resource::AllZones(a) => (
                format!("{ACCOUNT}.{}", a.as_deref().unwrap_or(ACCOUNT_PLACEHOLDER)),
                json!({ format!("{ZONE}.*"): "*" }),
            ),
            Resource::Account(a) => (format!("{ACCOUNT}.{}", a.as_deref().unwrap_or(ACCOUNT_PLACEHOLDER)), json!("*")),
            Resource::User => (format!("{USER}.{USER_PLACEHOLDER}"), json!("*")),
        };
        m.insert(k, v);
    }
    m
}

/// The request body for `POST /accounts/{account_id}/tokens` or `POST /user/tokens`.
pub fn body(t: &TokenPolicy) -> Value {
    let policies: Vec<Value> = t
        .policies
        .iter()
        .map(|p| {
            let groups: Vec<Value> = p
                .groups
                .iter()
                .map(|g| json!({"id": g.id.clone().unwrap_or_else(|| group_id_placeholder(&g.name)), "name": g.name}))
                .collect();
            json!({"effect": "allow", "resources": resources(&p.resources), "permission_groups": groups})
        })
        .collect();
    let mut body = Map::new();
    body.insert("name".into(), json!(t.name));
    body.insert("policies".into(), Value::Array(policies));
    if !t.allow_ip.is_empty() {
        body.insert("condition".into(), json!({"request_ip": {"in": t.allow_ip}}));
    }
    if let Some(e) = &t.expires_on {
        body.insert("expires_on".into(), json!(e));
    }
    Value::Object(body)
}

/// Where to send the body, and what to check first.
pub fn endpoint(t: &TokenPolicy) -> String {
    if t.user_token {
        "POST https://api.cloudflare.com/client/v4/user/tokens".into()
    } else {
        format!(
            "POST https://api.cloudflare.com/client/v4/accounts/{}/tokens",
            t.account_id.as_deref().unwrap_or(ACCOUNT_PLACEHOLDER)
        )
    }
}

/// The sidecar next to each body: credential, endpoint, notes and placeholders left.
pub fn notes(t: &TokenPolicy) -> Value {
    let mut notes = t.notes.clone();
    if t.user_token {
        notes.push("user-owned token: it stops working if the user leaves the account".into());
    } else {
        notes.push("account-owned token (needs Super Administrator and Account API Tokens Write); pass --user-token for a user-owned one".into());
    }
    json!({
        "credential": t.credential,
        "endpoint": endpoint(t),
        "create": "curl -X POST <endpoint> -H \"Authorization: Bearer $TOKEN_WITH_API_TOKENS_WRITE\" -H 'Content-Type: application/json' --data @<file>.json",
        "notes": notes,
    })
}

/// `(file name, contents)` for every token: `<slug>.json` and `<slug>.notes.json`.
pub fn render(tokens: &[TokenPolicy]) -> Vec<(String, String)> {
    let slugs = super::unique_slugs(tokens);
    let mut out = Vec::new();
    for (t, slug) in tokens.iter().zip(slugs) {
        for (name, value) in [(format!("{slug}.json"), body(t)), (format!("{slug}.notes.json"), notes(t))] {
            let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialise");
            text.push('\n');
            out.push((name, crate::report::redact::scrub(&text)));
        }
    }
    out
}
