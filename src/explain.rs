//! `scopesmith explain-denied "ERROR TEXT" [PATH]`: from a Cloudflare error to the call sites
//! that could have hit it, the group that is missing and the policy change.
//!
//! The text is read for a permission string (`requires permission '...'`, looked up in
//! `rules/targets/permission-codes.yaml` to the operation that asks for it) and for error
//! codes. `10000` ("Authentication error") is the usual symptom of a missing permission
//! (terraform-provider-cloudflare#1533, cf-terraforming#677); other codes have no source here
//! and are said to have none. The candidates are the tree's planned calls: those of the named
//! operation, or all of them, narrowed with `--policy` to what that policy lacks (`check`).
//! Calls Cloudflare documents as refusing tokens, and zone lookups by name, are pointed out,
//! since no permission fixes the first and a zone-limited token breaks the second
//! (troglobit/inadyn#285).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::infer::Plan;
use crate::rules::Knowledge;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: String,
    method: String,
    path: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesFile {
    codes: Vec<Code>,
}

static CODES: LazyLock<CodesFile> = LazyLock::new(|| {
    serde_norway::from_str(include_str!("../rules/targets/permission-codes.yaml"))
        .expect("rules/targets/permission-codes.yaml is valid (tested)")
});

static PERMISSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"requires permission ['"]?([A-Za-z0-9_.#:*-]+)['"]?"#).expect("permission pattern"));
static QUOTED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"'[^']*'|"[^"]*""#).expect("quote pattern"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4,5})\b").expect("code pattern"));

/// What the error text says.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Denial {
    pub codes: Vec<String>,
    pub permission: Option<String>,
    /// The operation the permission string belongs to, if known.
    pub operation: Option<String>,
    /// What scopesmith knows about the error, with its source (or that it has none).
    pub meaning: Vec<String>,
}

pub fn parse(text: &str) -> Denial {
    // An error text is short; a pasted log is capped so matching stays linear and small.
    let text: String = text.chars().take(64 * 1024).collect();
    let permission = PERMISSION.captures(&text).map(|c| c[1].to_string());
    // Quoted parts (`Actor 'com.cloudflare.api.token.<id>'`) hold ids, not error codes.
    let unquoted = QUOTED.replace_all(&text, " ");
    let mut codes: Vec<String> = NUMBER.captures_iter(&unquoted).map(|c| c[1].to_string()).collect();
    codes.dedup();
    let operation = permission
        .as_deref()
        .and_then(|p| CODES.codes.iter().find(|c| c.code == p))
        .map(|c| format!("{} {}", c.method, c.path));
    let mut meaning = Vec::new();
    for c in &codes {
        meaning.push(match c.as_str() {
            "10000" => "10000 (\"Authentication error\") is the usual answer when the token lacks a permission the call needs, or the call does not take tokens (terraform-provider-cloudflare#1533, cf-terraforming#677)".to_string(),
            other => format!("{other}: scopesmith has no source for what this code means; the calls below are every candidate"),
        });
    }
    match (&permission, &operation) {
        (Some(p), Some(op)) => meaning.push(format!("`{p}` is asked for by {op}")),
        (Some(p), None) => meaning.push(format!(
            "`{p}` is not in scopesmith's table of permission strings; the calls below are every candidate"
        )),
        _ => {}
    }
    if permission.is_none() && codes.is_empty() {
        meaning
            .push("no error code or permission string found in the text; the calls below are every candidate".into());
    }
    Denial { codes, permission, operation, meaning }
}

/// One call that could have been denied.
#[derive(Debug, Clone, Serialize)]
pub struct Suspect {
    pub credential: String,
    pub call: String,
    pub sites: Vec<String>,
    /// Any one of these groups lets the call through.
    pub groups: Vec<String>,
    pub why: String,
    pub change: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub denial: Denial,
    pub suspects: Vec<Suspect>,
}

pub fn explain(denial: Denial, plan: &Plan, k: &Knowledge, gaps: Option<&crate::check::CheckReport>) -> Explanation {
    let mut suspects = Vec::new();
    for c in &plan.credentials {
        for e in &c.endpoints {
            let call = format!("{} {}", e.method, e.path);
            if let Some(op) = &denial.operation {
                if op != &call {
                    continue;
                }
            }
            let groups = if e.accepted.is_empty() {
                k.operations
                    .iter()
                    .find(|o| o.method == e.method && o.path == e.path)
                    .map(|o| o.groups.clone())
                    .unwrap_or_default()
            } else {
                e.accepted.clone()
            };
            let gap = gaps.and_then(|r| {
                r.tokens
                    .iter()
                    .flat_map(|t| &t.gaps)
                    .find(|g| g.need().what == call && g.need().sites.iter().any(|s| e.sites.contains(s)))
            });
            if gaps.is_some() && gap.is_none() && e.token_supported {
                // The policy grants what this call needs: not the one denied.
                continue;
            }
            let (why, change) = if !e.token_supported {
                (
                    "Cloudflare documents this endpoint as not accepting API tokens: no permission makes it work with a token".to_string(),
                    "keep this call on a credential that works for it, or replace it with an endpoint that takes tokens".to_string(),
                )
            } else if let Some(g) = gap {
                (g.message(), g.fix())
            } else {
                let mut why = format!(
                    "needs {}",
                    if groups.len() == 1 { groups[0].clone() } else { format!("one of {}", groups.join(", ")) }
                );
                if e.method == "GET" && e.path == "/zones" {
                    why.push_str("; a zone lookup by name needs Zone Read even when the token is limited to one zone (troglobit/inadyn#285)");
                }
                (why, format!("add `{}` to the token", crate::check::preferred(&groups)))
            };
            suspects.push(Suspect { credential: c.name.clone(), call, sites: e.sites.clone(), groups, why, change });
        }
    }
    Explanation { denial, suspects }
}

pub fn human(x: &Explanation) -> String {
    let mut s = String::new();
    for m in &x.denial.meaning {
        s.push_str(&format!("{m}\n"));
    }
    if x.suspects.is_empty() {
        s.push_str("no planned call in this tree matches: check that PATH is the code that got the error\n");
    }
    for sus in &x.suspects {
        s.push_str(&format!("\n{}  (credential {})\n", sus.call, sus.credential));
        for site in &sus.sites {
            s.push_str(&format!("  at {site}\n"));
        }
        s.push_str(&format!("  why: {}\n  change: {}\n", sus.why, sus.change));
    }
    crate::report::redact::scrub(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_permission_string_and_codes() {
        let d = parse("Error: failed to list zones: Actor 'com.cloudflare.api.token.0123' requires permission 'com.cloudflare.api.account.zone.list' to list zones (10000)");
        assert_eq!(d.permission.as_deref(), Some("com.cloudflare.api.account.zone.list"));
        assert_eq!(d.operation.as_deref(), Some("GET /zones"));
        assert_eq!(d.codes, ["10000"]);
        let d = parse("9109");
        assert_eq!(d.codes, ["9109"]);
        assert!(d.meaning[0].contains("no source"));
        assert_eq!(parse("something odd").operation, None);
    }

    #[test]
    fn every_code_names_a_catalog_operation() {
        let k = crate::rules::RuleSet::load(&[]).unwrap().knowledge;
        for c in &CODES.codes {
            assert!(
                k.operations.iter().any(|o| o.method == c.method && o.path == c.path),
                "{} -> {} {} is not in the catalog",
                c.code,
                c.method,
                c.path
            );
        }
    }
}
