//! Knowledge about targets beyond a plain token, as data: the dashboard's token-form keys and
//! Cloudflare's token templates (`rules/targets/templates.yaml`), the permission groups that
//! mint or widen access (`escalation.yaml`) and the OAuth scope fallback table
//! (`oauth-scopes.yaml`).
//!
//! The files are embedded at build time and parsed once; a malformed built-in file is a bug
//! caught by the tests below, so the accessors `expect` a valid file. Every group they name is
//! checked against `rules/permission-groups.yaml` in the tests, so a typo cannot silently
//! match nothing.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateKey {
    pub group: String,
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `example` (the documented WordPress URL) or `name` (the key spells the group).
    pub basis: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesFile {
    pub keys: Vec<TemplateKey>,
    pub templates: Vec<Template>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub group: String,
    pub why: String,
    /// Named by a source but not yet in the permission-group table.
    #[serde(default)]
    pub pending: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationFile {
    escalation: Vec<Escalation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OauthScope {
    /// The scope id to put in a client's `scopes` (dot-delimited, e.g. `user-details.read`).
    pub id: String,
    /// The permission group it corresponds to, where a source ties them.
    #[serde(default)]
    pub group: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OauthFile {
    pub scopes: Vec<OauthScope>,
}

const TEMPLATES: &str = include_str!("../../rules/targets/templates.yaml");
const ESCALATION: &str = include_str!("../../rules/targets/escalation.yaml");
const OAUTH: &str = include_str!("../../rules/targets/oauth-scopes.yaml");

static TEMPLATES_FILE: LazyLock<TemplatesFile> =
    LazyLock::new(|| serde_norway::from_str(TEMPLATES).expect("rules/targets/templates.yaml is valid (tested)"));
static ESCALATION_FILE: LazyLock<EscalationFile> =
    LazyLock::new(|| serde_norway::from_str(ESCALATION).expect("rules/targets/escalation.yaml is valid (tested)"));
static OAUTH_FILE: LazyLock<OauthFile> =
    LazyLock::new(|| serde_norway::from_str(OAUTH).expect("rules/targets/oauth-scopes.yaml is valid (tested)"));

pub fn templates() -> &'static TemplatesFile {
    &TEMPLATES_FILE
}

pub fn escalations() -> &'static [Escalation] {
    &ESCALATION_FILE.escalation
}

pub fn oauth_scopes() -> &'static [OauthScope] {
    &OAUTH_FILE.scopes
}

/// Why `group` can mint or widen access, if it can.
pub fn escalation(group: &str) -> Option<&'static Escalation> {
    escalations().iter().find(|e| e.group.eq_ignore_ascii_case(group))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> std::collections::BTreeMap<String, crate::rules::knowledge::PermissionGroup> {
        crate::rules::RuleSet::load(&[]).expect("built-in rules").knowledge.into_inner().groups
    }

    #[test]
    fn every_group_named_is_a_known_group() {
        let groups = known();
        let t = templates();
        for k in &t.keys {
            assert!(groups.contains_key(&k.group), "templates.yaml key for unknown group `{}`", k.group);
            assert!(["read", "edit", "revoke", "run", "purge"].contains(&k.kind.as_str()), "type {}", k.kind);
            assert!(["example", "name"].contains(&k.basis.as_str()), "basis {}", k.basis);
        }
        for tpl in &t.templates {
            for g in &tpl.groups {
                assert!(groups.contains_key(g), "template {} names unknown group `{g}`", tpl.name);
            }
        }
        for e in escalations().iter().filter(|e| !e.pending) {
            assert!(groups.contains_key(&e.group), "escalation.yaml names unknown group `{}`", e.group);
        }
        for s in oauth_scopes() {
            if let Some(g) = &s.group {
                assert!(groups.contains_key(g), "oauth-scopes.yaml names unknown group `{g}`");
            }
        }
    }

    #[test]
    fn one_key_per_group() {
        let mut seen = std::collections::BTreeSet::new();
        for k in &templates().keys {
            assert!(seen.insert(k.group.clone()), "group {} has two keys", k.group);
        }
    }
}
