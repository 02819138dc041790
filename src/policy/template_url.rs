//! Pre-filled dashboard links for a planned token (`plan --emit template-url`, the plan's human
//! output, the report).
//!
//! The dashboard's token form takes `permissionGroupKeys`, URL-encoded JSON
//! `[{"key":..,"type":..}]`, and a `name`; the user still reviews and confirms. Two variants:
//! user-owned (`/profile/api-tokens?...&accountId=*&zoneId=all`) and account-owned
//! (`/?to=/:account/api-tokens&...`). Source: cloudflare-docs
//! `fundamentals/api/how-to/account-owned-token-template.mdx`. Keys come from
//! `rules/targets/templates.yaml`; a group with no documented key is listed in `unmapped`, for
//! the user to add by hand, and never guessed. When the planned set is exactly one of
//! Cloudflare's token templates, the template is named.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::targets;

const USER_BASE: &str = "https://dash.cloudflare.com/profile/api-tokens";
const ACCOUNT_BASE: &str = "https://dash.cloudflare.com/?to=/:account/api-tokens";

/// One `{"key":..,"type":..}` entry of `permissionGroupKeys`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The dashboard links for one planned token.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateLink {
    pub credential: String,
    pub name: String,
    /// In the order the groups are planned.
    pub keys: Vec<GroupKey>,
    /// User-owned token form.
    pub user_url: String,
    /// Account-owned token form (the dashboard asks which account).
    pub account_url: String,
    /// Planned groups with no documented form key: add them by hand in the form.
    pub unmapped: Vec<String>,
    /// Cloudflare's token template with exactly this set of groups, if any.
    pub template: Option<String>,
}

/// The form key of a permission group, if a source documents one.
pub fn key_for(group: &str) -> Option<GroupKey> {
    targets::templates()
        .keys
        .iter()
        .find(|k| k.group == group)
        .map(|k| GroupKey { key: k.key.clone(), kind: k.kind.clone() })
}

/// The token template whose groups are exactly `groups`.
pub fn template_for(groups: &[String]) -> Option<&'static str> {
    let want: BTreeSet<&str> = groups.iter().map(String::as_str).collect();
    targets::templates()
        .templates
        .iter()
        .find(|t| t.groups.iter().map(String::as_str).collect::<BTreeSet<_>>() == want)
        .map(|t| t.name.as_str())
}

/// Links for a token named `name` holding `groups` (credential for display only).
pub fn link(credential: &str, name: &str, groups: &[String]) -> TemplateLink {
    let mut keys = Vec::new();
    let mut unmapped = Vec::new();
    for g in groups {
        match key_for(g) {
            Some(k) if !keys.contains(&k) => keys.push(k),
            Some(_) => {}
            None => unmapped.push(g.clone()),
        }
    }
    let json = serde_json::to_string(&keys).expect("keys always serialise");
    let encoded = encode(&json);
    let name_enc = encode(name);
    TemplateLink {
        credential: credential.to_string(),
        name: name.to_string(),
        user_url: format!("{USER_BASE}?permissionGroupKeys={encoded}&accountId=*&zoneId=all&name={name_enc}"),
        account_url: format!("{ACCOUNT_BASE}&permissionGroupKeys={encoded}&name={name_enc}"),
        keys,
        unmapped,
        template: template_for(groups).map(str::to_string),
    }
}

/// One link per planned credential that needs a permission.
pub fn links(plan: &crate::infer::Plan) -> Vec<TemplateLink> {
    plan.credentials
        .iter()
        .filter(|c| !c.permissions.is_empty())
        .map(|c| {
            let groups: Vec<String> = c.permissions.iter().map(|g| g.name.clone()).collect();
            link(&c.name, &format!("scopesmith: {}", c.name), &groups)
        })
        .collect()
}

/// Percent-encodes everything outside RFC 3986's unreserved set.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`encode`] (also used by tests to read a link back).
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The `permissionGroupKeys` of a link, decoded.
pub fn keys_of(url: &str) -> Option<Vec<GroupKey>> {
    let query = url.split_once('?')?.1;
    let value = query.split('&').find_map(|kv| kv.strip_prefix("permissionGroupKeys="))?;
    serde_json::from_str(&decode(value)?).ok()
}

/// `Markdown` lines for the emitted `template-urls.md` and the report.
pub fn describe(l: &TemplateLink) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = &l.template {
        out.push(format!("this is Cloudflare's \"{t}\" token template: pick it in the dashboard, or use the link"));
    }
    if !l.unmapped.is_empty() {
        out.push(format!(
            "no documented form key for {}: add {} by hand in the form",
            l.unmapped.join(", "),
            if l.unmapped.len() == 1 { "it" } else { "them" }
        ));
    }
    out.push("the form opens on all accounts and all zones: narrow the resources to what the plan lists before creating the token".into());
    out
}

/// `plan --emit template-url`: `template-urls.json` (the links, for tools) and
/// `template-urls.md` (for people). Nothing is written when no token is planned.
pub fn render(plan: &crate::infer::Plan) -> Vec<(String, String)> {
    let links = links(plan);
    if links.is_empty() {
        return Vec::new();
    }
    let mut json = serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "links": links }))
        .expect("links always serialise");
    json.push('\n');
    let mut md = String::from("# Create the planned tokens from the dashboard\n\n");
    md.push_str("Each link opens Cloudflare's token form pre-filled with the planned permission groups; review the resources, then create the token.\n\n");
    for l in &links {
        md.push_str(&format!("## {}\n\n", l.credential.replace('\n', " ")));
        md.push_str(&format!("- User-owned token: <{}>\n", l.user_url));
        md.push_str(&format!("- Account-owned token: <{}>\n", l.account_url));
        for line in describe(l) {
            md.push_str(&format!("- {line}\n"));
        }
        md.push('\n');
    }
    vec![
        ("template-urls.json".to_string(), crate::report::redact::scrub(&json)),
        ("template-urls.md".to_string(), crate::report::redact::scrub(&md)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(groups: &[&str]) -> Vec<String> {
        groups.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wordpress_set_is_the_documented_example_and_named() {
        let l = link(
            "wp",
            "WordPress",
            &v(&[
                "Analytics Read",
                "Zone Read",
                "Zone Settings Write",
                "Account Settings Read",
                "DNS Read",
                "Cache Purge",
            ]),
        );
        // The documented example, key for key (targets: account-owned-token-template.mdx).
        let expected: Vec<GroupKey> = serde_json::from_str(
            r#"[{"key":"analytics","type":"read"},{"key":"zone","type":"read"},{"key":"zone_settings","type":"edit"},{"key":"account_settings","type":"read"},{"key":"dns","type":"read"},{"key":"cache","type":"purge"}]"#,
        )
        .unwrap();
        assert_eq!(keys_of(&l.user_url).unwrap(), expected);
        assert_eq!(keys_of(&l.account_url).unwrap(), expected);
        assert_eq!(l.template.as_deref(), Some("WordPress"));
        assert!(l.unmapped.is_empty());
        assert!(l.user_url.starts_with("https://dash.cloudflare.com/profile/api-tokens?permissionGroupKeys=%5B%7B"));
        assert!(l.user_url.contains("&accountId=*&zoneId=all&name=WordPress"));
        assert!(l.account_url.starts_with("https://dash.cloudflare.com/?to=/:account/api-tokens&permissionGroupKeys="));
    }

    #[test]
    fn a_group_without_a_key_is_listed_not_guessed() {
        let l = link("x", "x", &v(&["DNS Write", "Workers Tail Read"]));
        assert_eq!(keys_of(&l.user_url).unwrap(), vec![GroupKey { key: "dns".into(), kind: "edit".into() }]);
        assert_eq!(l.unmapped, vec!["Workers Tail Read".to_string()]);
        assert_eq!(l.template, None);
        assert_eq!(template_for(&v(&["DNS Write"])), Some("Edit zone DNS"));
    }

    #[test]
    fn names_round_trip() {
        let name = "scopesmith: CF_API_KEY & co/é";
        assert_eq!(decode(&encode(name)).as_deref(), Some(name));
    }
}
