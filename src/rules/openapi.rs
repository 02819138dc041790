//! `catalog import-openapi`: Cloudflare's OpenAPI document -> catalog files of the
//! `rules/catalog/` shape, so users can refresh the catalog without a new release.
//!
//! Per operation the document carries `x-api-token-group` (the accepted permission groups)
//! and `security` (which schemes work: `api_token`, `api_email` + `api_key`,
//! `user_service_key`); the Stainless/Fern extensions give the SDK method name used as id.
//! Group spellings that exist only in the spec ("Zone Zone Read", "Zone DNS Edit") are mapped
//! to the API's names; names still unknown are reported, never dropped.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::knowledge::Knowledge;
use super::model::{Auth, CatalogFile, OperationSpec, Scope};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// What an import produced: catalog files by family, and the group names it could not place.
#[derive(Debug, Default)]
pub struct Import {
    pub families: BTreeMap<String, CatalogFile>,
    pub unknown_groups: BTreeSet<String>,
    pub operations: usize,
}

/// Reads the document (already parsed as JSON). `known` is the bundled permission-group table,
/// used to map spec spellings onto the API's names.
pub fn import(doc: &Value, known: &Knowledge) -> Result<Import, String> {
    let paths = doc.get("paths").and_then(Value::as_object).ok_or("the document has no `paths` object")?;
    let mut out = Import::default();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let groups_raw: Vec<String> = op
                .get("x-api-token-group")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let mut groups = Vec::new();
            for g in &groups_raw {
                match api_name(g, known) {
                    Some(name) => {
                        if !groups.contains(&name) {
                            groups.push(name);
                        }
                    }
                    None => {
                        out.unknown_groups.insert(g.clone());
                        groups.push(g.clone());
                    }
                }
            }
            let auth = schemes(op.get("security").or_else(|| doc.get("security")));
            let mut id = sdk_id(op).unwrap_or_else(|| {
                op.get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{method}{}", path.replace(['/', '{', '}'], "_")))
            });
            // The same SDK method may serve a zone and an account path.
            if ids.contains(&id) {
                id = format!("{id}@{}", scope_of(path).as_str());
            }
            let mut n = 2;
            while ids.contains(&id) {
                id = format!("{}#{n}", id.trim_end_matches(|c: char| c == '#' || c.is_ascii_digit()));
                n += 1;
            }
            ids.insert(id.clone());
            let family = id.split(['.', '@', '#']).next().unwrap_or("misc").to_string();
            let note = (groups_raw.iter().any(|g| !groups.contains(g)))
                .then(|| format!("imported; spec names: {}", groups_raw.join(", ")));
            out.families
                .entry(family.clone())
                .or_insert_with(|| CatalogFile { family, operations: Vec::new() })
                .operations
                .push(OperationSpec {
                    id,
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    scope: scope_of(path),
                    groups,
                    auth,
                    note,
                    source: None,
                });
            out.operations += 1;
        }
    }
    Ok(out)
}

/// `dns.records.list` from the Fern/Stainless extensions, when present.
fn sdk_id(op: &Value) -> Option<String> {
    let group = op.get("x-fern-sdk-group-name")?;
    let group: Vec<String> = match group {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => return None,
    };
    let method = op.get("x-fern-sdk-method-name")?.as_str()?;
    Some(format!("{}.{method}", group.join(".")))
}

/// The schemes an operation accepts: any one `security` requirement suffices.
fn schemes(security: Option<&Value>) -> Vec<Auth> {
    let mut out = Vec::new();
    for req in security.and_then(Value::as_array).into_iter().flatten() {
        let Some(req) = req.as_object() else { continue };
        // A single object listing every scheme means "any of them" in Cloudflare's spec.
        if req.contains_key("api_token") && !out.contains(&Auth::Token) {
            out.push(Auth::Token);
        }
        if req.contains_key("api_key") && !out.contains(&Auth::Key) {
            out.push(Auth::Key);
        }
        if req.contains_key("user_service_key") && !out.contains(&Auth::ServiceKey) {
            out.push(Auth::ServiceKey);
        }
    }
    out
}

fn scope_of(path: &str) -> Scope {
    if path.starts_with("/zones") {
        Scope::Zone
    } else if path.starts_with("/user") || path.starts_with("/memberships") {
        Scope::User
    } else {
        Scope::Account
    }
}

/// The API's name for a spec spelling: as is when known; "… Edit" as "… Write"; a doubled
/// "Zone " prefix ("Zone Zone Read", "Zone DNS Edit") dropped.
fn api_name(spec: &str, known: &Knowledge) -> Option<String> {
    let candidates = [spec.to_string(), edit_to_write(spec)];
    let stripped = spec.strip_prefix("Zone ").map(|rest| [rest.to_string(), edit_to_write(rest)]);
    candidates.into_iter().chain(stripped.into_iter().flatten()).find(|c| known.groups.contains_key(c))
}

fn edit_to_write(name: &str) -> String {
    match name.strip_suffix(" Edit") {
        Some(base) => format!("{base} Write"),
        None => name.to_string(),
    }
}

/// A catalog family as a file name: ASCII letters, digits, `-` and `_` only (anything else
/// becomes `_`), never empty, never a path.
pub fn file_stem(family: &str) -> String {
    let stem: String = family
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let stem = stem.trim_start_matches(['_', '-']);
    if stem.is_empty() {
        "misc".to_string()
    } else {
        stem.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Knowledge {
        crate::rules::RuleSet::load(&[]).expect("built-in rules").knowledge.into_inner()
    }

    #[test]
    fn spec_spellings_map_to_api_names() {
        let k = known();
        assert_eq!(api_name("Zone Zone Read", &k).as_deref(), Some("Zone Read"));
        assert_eq!(api_name("Zone DNS Edit", &k).as_deref(), Some("DNS Write"));
        assert_eq!(api_name("DNS Read", &k).as_deref(), Some("DNS Read"));
        assert_eq!(api_name("Account Filter Lists Edit", &k).as_deref(), Some("Account Filter Lists Edit"));
        assert_eq!(api_name("Nonexistent Group", &k), None);
    }
}
