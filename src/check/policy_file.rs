//! Reads a committed token policy: create-token request JSON (one body, or a list of them),
//! Terraform `cloudflare_api_token` / `cloudflare_account_token` (provider v4 `policy` blocks
//! or v5 `policies` lists, parsed with hcl-rs), or a directory of either (what
//! `plan --emit cloudflare-json|terraform` writes; `*.notes.json` and the template-link files
//! are skipped).
//!
//! Groups are kept by name. A name comes from the JSON `name`, the index of a v4
//! `data.cloudflare_api_token_permission_groups.all.zone["DNS Write"]` lookup, or the `name`
//! of the v5 `data "cloudflare_api_token_permission_groups_list"` block an id refers to; a
//! bare id is named through the bundled table (only documented ids) or kept as an unknown id,
//! which `check` reports instead of guessing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::expr::{Expression, ObjectKey, TemplateExpr, TraversalOperator};
use serde_json::Value;

use crate::rules::Knowledge;

/// A permission group as the policy names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum GroupRef {
    Name(String),
    /// An id no table names (run `catalog sync`, or name the group in the policy).
    UnknownId(String),
    /// An expression this reader cannot resolve (a variable, a function).
    Unresolved(String),
}

impl GroupRef {
    pub fn label(&self) -> String {
        match self {
            GroupRef::Name(n) => n.clone(),
            GroupRef::UnknownId(id) => format!("group id {id}"),
            GroupRef::Unresolved(e) => format!("`{e}`"),
        }
    }
}

/// One resource key of a committed policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Granted {
    /// `com.cloudflare.api.account.zone.<id>` (`*`: every zone).
    Zone(String),
    /// `com.cloudflare.api.account.<id>` holding `{"com.cloudflare.api.account.zone.*": "*"}`.
    ZonesOf(String),
    /// `com.cloudflare.api.account.<id>` (`*`: every account).
    Account(String),
    /// `com.cloudflare.api.user.<id>`.
    User(String),
    /// A key this reader does not understand, kept as written.
    Other(String),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CommittedPolicy {
    pub allow: bool,
    pub groups: Vec<GroupRef>,
    pub resources: Vec<Granted>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CommittedToken {
    /// The token's `name`.
    pub name: String,
    /// Terraform resource address or file name.
    pub label: String,
    /// The file, as given or found under the directory.
    pub file: String,
    /// 1-based line where the token is defined (for SARIF and messages).
    pub line: usize,
    pub policies: Vec<CommittedPolicy>,
}

impl CommittedToken {
    pub fn groups(&self) -> Vec<&GroupRef> {
        let mut out: Vec<&GroupRef> = self.policies.iter().filter(|p| p.allow).flat_map(|p| &p.groups).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Reads `path` (a file or a directory).
pub fn read(path: &Path, k: &Knowledge) -> Result<Vec<CommittedToken>, crate::Error> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| crate::Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_policy_file(p))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut tokens = Vec::new();
    for f in &files {
        let meta = std::fs::metadata(f).map_err(|e| crate::Error::io(f, e))?;
        // A token policy is small; a huge file is not one, and reading it whole would not be capped.
        if meta.len() > 4 * 1024 * 1024 {
            return Err(usage(f, "is larger than 4 MiB; that is not a token policy".into()));
        }
        let text = std::fs::read_to_string(f).map_err(|e| crate::Error::io(f, e))?;
        let display = f.display().to_string();
        if f.extension().and_then(|e| e.to_str()) == Some("tf") {
            tokens.extend(terraform(&text, &display, k)?);
        } else {
            tokens.extend(json(&text, &display, k)?);
        }
    }
    if tokens.is_empty() {
        return Err(crate::Error::Usage {
            message: format!("{}: no API token found", path.display()),
            help: "pass a create-token JSON body, a .tf file with cloudflare_api_token or cloudflare_account_token, or the folder `plan --emit` wrote".into(),
        });
    }
    Ok(tokens)
}

fn is_policy_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".json")
        && !name.ends_with(".notes.json")
        && !name.starts_with("template-urls")
        && !name.starts_with("oauth-client"))
        || name.ends_with(".tf")
}

fn usage(f: &Path, message: String) -> crate::Error {
    crate::Error::Usage {
        message: format!("{}: {message}", f.display()),
        help: "pass a create-token JSON body, a .tf file with cloudflare_api_token or cloudflare_account_token, or the folder `plan --emit` wrote".into(),
    }
}

fn by_id(k: &Knowledge, id: &str) -> GroupRef {
    match k.groups.values().find(|g| g.id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(id))) {
        Some(g) => GroupRef::Name(g.name.clone()),
        None => GroupRef::UnknownId(id.to_string()),
    }
}

// ---- JSON ------------------------------------------------------------------------------

fn json(text: &str, file: &str, k: &Knowledge) -> Result<Vec<CommittedToken>, crate::Error> {
    let v: Value = serde_json::from_str(text).map_err(|e| crate::Error::Usage {
        message: format!("{file}:{}:{}: not valid JSON: {e}", e.line(), e.column()),
        help: "pass the create-token request body (`{name, policies: [...]}`) or a list of them".into(),
    })?;
    let bodies: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        // `GET /user/tokens/{id}` wraps the token in `result`.
        Value::Object(o) if o.contains_key("result") => match &o["result"] {
            Value::Array(a) => a.iter().collect(),
            r => vec![r],
        },
        other => vec![other],
    };
    let mut out = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let Some(policies) = b.get("policies").and_then(Value::as_array) else {
            continue;
        };
        let name = b.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        let policies = policies
            .iter()
            .map(|p| CommittedPolicy {
                allow: p.get("effect").and_then(Value::as_str) != Some("deny"),
                groups: p
                    .get("permission_groups")
                    .and_then(Value::as_array)
                    .map(|gs| {
                        gs.iter()
                            .map(|g| {
                                match (g.get("name").and_then(Value::as_str), g.get("id").and_then(Value::as_str)) {
                                    (Some(n), _) => GroupRef::Name(n.to_string()),
                                    (None, Some(id)) => by_id(k, id),
                                    (None, None) => GroupRef::Unresolved(g.to_string()),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                resources: p.get("resources").map(json_resources).unwrap_or_default(),
            })
            .collect();
        let label = if bodies.len() == 1 { file_name(file) } else { format!("{}[{i}]", file_name(file)) };
        out.push(CommittedToken { name, label, file: file.to_string(), line: 1, policies });
    }
    Ok(out)
}

fn file_name(file: &str) -> String {
    Path::new(file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file.to_string())
}

fn json_resources(v: &Value) -> Vec<Granted> {
    let Some(obj) = v.as_object() else {
        // Terraform v5 writes `resources` as a JSON string.
        return v
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .map(|v| json_resources(&v))
            .unwrap_or_default();
    };
    obj.iter()
        .map(|(key, value)| {
            let nested =
                value.as_object().is_some_and(|o| o.keys().any(|k| k.starts_with("com.cloudflare.api.account.zone.")));
            classify(key, nested)
        })
        .collect()
}

/// One resource key; `nested`: its value is an object of zone keys (all zones of the account).
fn classify(key: &str, nested: bool) -> Granted {
    if let Some(z) = key.strip_prefix("com.cloudflare.api.account.zone.") {
        Granted::Zone(z.to_string())
    } else if let Some(a) = key.strip_prefix("com.cloudflare.api.account.") {
        if nested {
            Granted::ZonesOf(a.to_string())
        } else {
            Granted::Account(a.to_string())
        }
    } else if let Some(u) = key.strip_prefix("com.cloudflare.api.user.") {
        Granted::User(u.to_string())
    } else {
        Granted::Other(key.to_string())
    }
}

// ---- Terraform ---------------------------------------------------------------------------

fn terraform(text: &str, file: &str, k: &Knowledge) -> Result<Vec<CommittedToken>, crate::Error> {
    let body = hcl::parse(text).map_err(|e| crate::Error::Usage {
        message: format!("{file}: not valid HCL: {e}"),
        help: "fix the file so `terraform validate` accepts it, or pass the token as create-token JSON".into(),
    })?;
    // `data "cloudflare_api_token_permission_groups_list" "<label>" { name = "DNS Read" }`
    let mut lookups: BTreeMap<String, String> = BTreeMap::new();
    for b in body.blocks().filter(|b| b.identifier.as_str() == "data") {
        let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
        if let ["cloudflare_api_token_permission_groups_list", label] = labels.as_slice() {
            if let Some(Expression::String(name)) =
                b.body.attributes().find(|a| a.key.as_str() == "name").map(|a| &a.expr)
            {
                lookups.insert(label.to_string(), name.clone());
            }
        }
    }
    let mut out = Vec::new();
    for b in body.blocks().filter(|b| b.identifier.as_str() == "resource") {
        let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
        let [kind @ ("cloudflare_api_token" | "cloudflare_account_token"), label] = labels.as_slice() else {
            continue;
        };
        let attr = |key: &str| b.body.attributes().find(|a| a.key.as_str() == key).map(|a| &a.expr);
        let name = match attr("name") {
            Some(Expression::String(s)) => s.clone(),
            Some(e) => expr_text(e),
            None => String::new(),
        };
        let mut policies = Vec::new();
        // v5: `policies = [{ effect, permission_groups = [{ id = ... }], resources = jsonencode({...}) }]`
        if let Some(Expression::Array(items)) = attr("policies") {
            for item in items {
                if let Expression::Object(o) = item {
                    let get = |key: &str| o.iter().find(|(k, _)| object_key(k) == key).map(|(_, v)| v);
                    policies.push(hcl_policy(get("effect"), get("permission_groups"), get("resources"), &lookups, k));
                }
            }
        }
        // v4: `policy { permission_groups = [...] resources = {...} }`
        for p in b.body.blocks().filter(|p| p.identifier.as_str() == "policy") {
            let get = |key: &str| p.body.attributes().find(|a| a.key.as_str() == key).map(|a| &a.expr);
            policies.push(hcl_policy(get("effect"), get("permission_groups"), get("resources"), &lookups, k));
        }
        let line = line_of(text, &format!("\"{label}\"")).unwrap_or(1);
        out.push(CommittedToken { name, label: format!("{kind}.{label}"), file: file.to_string(), line, policies });
    }
    Ok(out)
}

fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_start().starts_with("resource") && l.contains(needle)).map(|i| i + 1)
}

fn object_key(k: &ObjectKey) -> String {
    match k {
        ObjectKey::Identifier(i) => i.as_str().to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.clone(),
        ObjectKey::Expression(e) => expr_text(e),
        _ => String::new(),
    }
}

fn hcl_policy(
    effect: Option<&Expression>,
    groups: Option<&Expression>,
    resources: Option<&Expression>,
    lookups: &BTreeMap<String, String>,
    k: &Knowledge,
) -> CommittedPolicy {
    let allow = !matches!(effect, Some(Expression::String(s)) if s == "deny");
    let groups = match groups {
        Some(Expression::Array(items)) => items
            .iter()
            .map(|g| match g {
                // v5 `{ id = ... }`
                Expression::Object(o) => match o.iter().find(|(k, _)| object_key(k) == "id") {
                    Some((_, e)) => group_expr(e, lookups, k),
                    None => GroupRef::Unresolved(expr_text(g)),
                },
                e => group_expr(e, lookups, k),
            })
            .collect(),
        Some(e) => vec![GroupRef::Unresolved(expr_text(e))],
        None => Vec::new(),
    };
    CommittedPolicy { allow, groups, resources: resources.map(hcl_resources).unwrap_or_default() }
}

fn group_expr(e: &Expression, lookups: &BTreeMap<String, String>, k: &Knowledge) -> GroupRef {
    match e {
        Expression::String(id) => by_id(k, id),
        Expression::Traversal(t) => {
            let mut path: Vec<String> = Vec::new();
            if let Expression::Variable(v) = &t.expr {
                path.push(v.as_str().to_string());
            }
            for op in &t.operators {
                match op {
                    TraversalOperator::GetAttr(i) => path.push(i.as_str().to_string()),
                    TraversalOperator::Index(Expression::String(s)) => path.push(format!("[{s}]")),
                    TraversalOperator::Index(Expression::Number(n)) => path.push(format!("[#{n}]")),
                    TraversalOperator::LegacyIndex(n) => path.push(format!("[#{n}]")),
                    _ => path.push("?".into()),
                }
            }
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            match p.as_slice() {
                // v5 lookup: data.cloudflare_api_token_permission_groups_list.<label>.result[0].id
                ["data", "cloudflare_api_token_permission_groups_list", label, ..] => match lookups.get(*label) {
                    Some(n) => GroupRef::Name(n.clone()),
                    None => GroupRef::Unresolved(expr_text(e)),
                },
                // v4 maps: data.cloudflare_api_token_permission_groups.<x>.<zone|account|user|r2|permissions>["DNS Write"]
                ["data", "cloudflare_api_token_permission_groups", _, _, index]
                    if index.starts_with('[') && !index.starts_with("[#") =>
                {
                    GroupRef::Name(index.trim_start_matches('[').trim_end_matches(']').to_string())
                }
                _ => GroupRef::Unresolved(expr_text(e)),
            }
        }
        other => GroupRef::Unresolved(expr_text(other)),
    }
}

fn hcl_resources(e: &Expression) -> Vec<Granted> {
    match e {
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" => {
            f.args.first().map(hcl_resources).unwrap_or_default()
        }
        Expression::String(s) => serde_json::from_str::<Value>(s).map(|v| json_resources(&v)).unwrap_or_default(),
        Expression::Object(o) => o
            .iter()
            .map(|(key, value)| {
                let key = match key {
                    ObjectKey::Expression(Expression::Parenthesis(inner)) => key_text(inner),
                    ObjectKey::Expression(e) => key_text(e),
                    ObjectKey::Identifier(i) => i.as_str().to_string(),
                    _ => String::new(),
                };
                let nested = match value {
                    Expression::Object(_) => true,
                    Expression::FuncCall(f) => f.name.name.as_str() == "jsonencode",
                    _ => false,
                };
                classify(&key, nested)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A resource key: a literal, or a template whose interpolations stay `${...}`.
fn key_text(e: &Expression) -> String {
    match e {
        Expression::String(s) => s.clone(),
        Expression::TemplateExpr(t) => match t.as_ref() {
            TemplateExpr::QuotedString(s) => s.clone(),
            TemplateExpr::Heredoc(h) => h.template.clone(),
        },
        other => expr_text(other),
    }
}

fn expr_text(e: &Expression) -> String {
    hcl::format::to_string(e).unwrap_or_else(|_| "<expression>".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k() -> Knowledge {
        crate::rules::RuleSet::load(&[]).expect("rules").knowledge.into_inner()
    }

    #[test]
    fn v4_and_v5_terraform_and_json_give_the_same_groups() {
        let v5 = r#"
data "cloudflare_api_token_permission_groups_list" "dns_read" {
  name  = "DNS Read"
  scope = "com.cloudflare.api.account.zone"
}
resource "cloudflare_account_token" "ci" {
  account_id = "7182e3316d08452bcd6073bc4ebcfaf7"
  name       = "ci"
  policies = [{
    effect            = "allow"
    permission_groups = [{ id = data.cloudflare_api_token_permission_groups_list.dns_read.result[0].id }, { id = "c8fed203ed3043cba015a93ad1616f1f" }]
    resources         = jsonencode({ "com.cloudflare.api.account.7182e3316d08452bcd6073bc4ebcfaf7" = { "com.cloudflare.api.account.zone.*" = "*" } })
  }]
}
"#;
        let v4 = r#"
data "cloudflare_api_token_permission_groups" "all" {}
resource "cloudflare_api_token" "ci" {
  name = "ci"
  policy {
    permission_groups = [data.cloudflare_api_token_permission_groups.all.zone["DNS Read"], data.cloudflare_api_token_permission_groups.all.zone["Zone Read"]]
    resources = { "com.cloudflare.api.account.7182e3316d08452bcd6073bc4ebcfaf7" = jsonencode({ "com.cloudflare.api.account.zone.*" = "*" }) }
  }
}
"#;
        let json = r#"{"name":"ci","policies":[{"effect":"allow","permission_groups":[{"id":"x","name":"DNS Read"},{"id":"c8fed203ed3043cba015a93ad1616f1f"}],"resources":{"com.cloudflare.api.account.7182e3316d08452bcd6073bc4ebcfaf7":{"com.cloudflare.api.account.zone.*":"*"}}}]}"#;
        let k = k();
        for tokens in [
            terraform(v5, "a.tf", &k).unwrap(),
            terraform(v4, "b.tf", &k).unwrap(),
            super::json(json, "c.json", &k).unwrap(),
        ] {
            assert_eq!(tokens.len(), 1);
            let t = &tokens[0];
            assert_eq!(t.groups(), [&GroupRef::Name("DNS Read".into()), &GroupRef::Name("Zone Read".into())]);
            assert_eq!(t.policies[0].resources, [Granted::ZonesOf("7182e3316d08452bcd6073bc4ebcfaf7".into())]);
        }
    }

    #[test]
    fn unknown_ids_and_variables_are_kept_not_guessed() {
        let tf = r#"resource "cloudflare_api_token" "t" {
  name = "t"
  policies = [{ effect = "allow", permission_groups = [{ id = "0123456789abcdef0123456789abcdef" }, { id = var.group }], resources = jsonencode({ "com.cloudflare.api.account.zone.${var.zone}" = "*" }) }]
}"#;
        let t = &terraform(tf, "t.tf", &k()).unwrap()[0];
        assert_eq!(t.policies[0].groups[0], GroupRef::UnknownId("0123456789abcdef0123456789abcdef".into()));
        assert!(matches!(&t.policies[0].groups[1], GroupRef::Unresolved(_)));
        assert_eq!(t.policies[0].resources, [Granted::Zone("${var.zone}".into())]);
    }

    #[test]
    fn bad_hcl_is_an_error_not_a_panic() {
        assert!(terraform("resource \"cloudflare_api_token\" {", "x.tf", &k()).is_err());
        assert!(super::json("{", "x.json", &k()).is_err());
    }
}
