//! The serde shapes of the files under `rules/`, exactly as written: nothing here is checked
//! beyond what serde checks. `load.rs` turns them into validated, compiled rules.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::finding::{Kind, Role, Severity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectFile {
    pub rules: Vec<DetectRuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectRuleSpec {
    pub id: String,
    pub kind: Kind,
    pub severity: Severity,
    #[serde(default = "default_role")]
    pub role: Role,
    pub summary: String,
    pub why: String,
    pub fix: String,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub skip_files: Vec<String>,
    pub keywords: Vec<String>,
    pub pattern: Option<String>,
    pub rust: Option<RustMatcherSpec>,
    pub unless: Option<String>,
    pub context: Option<String>,
    pub not_context: Option<String>,
    pub ancestor: Option<String>,
    #[serde(default)]
    pub all_lines: bool,
    #[serde(default)]
    pub window: usize,
    pub tool: Option<String>,
    /// A tool implied by the file's content: the first hint whose `context` matches.
    #[serde(default)]
    pub tool_hints: Vec<ToolHint>,
    pub sdk: Option<String>,
    pub credential: Option<String>,
    pub examples: Option<Examples>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolHint {
    pub context: String,
    pub tool: String,
}

fn default_role() -> Role {
    Role::Key
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RustMatcherSpec {
    pub string: Option<String>,
    pub path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    #[serde(default)]
    pub no_match: Vec<String>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub family: String,
    pub operations: Vec<OperationSpec>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    pub id: String,
    pub method: String,
    pub path: String,
    pub scope: Scope,
    pub groups: Vec<String>,
    pub auth: Vec<Auth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the groups come from (reference page, spec or Terraform version, or the sibling
    /// operation they were inferred from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Zone,
    Account,
    User,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Zone => "zone",
            Scope::Account => "account",
            Scope::User => "user",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    Token,
    Key,
    ServiceKey,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionGroupsFile {
    pub groups: Vec<PermissionGroupSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionGroupSpec {
    pub name: String,
    pub scope: Scope,
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkFile {
    pub sdk: String,
    pub language: String,
    pub calls: Vec<SdkCallSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkCallSpec {
    pub method: String,
    pub endpoint: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolFile {
    pub tool: String,
    pub title: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    pub scope: Scope,
    pub source: String,
    #[serde(default)]
    pub resources: BTreeMap<String, Vec<String>>,
    /// What `fix` changes for this tool (see `rules::rewrite`).
    #[serde(default)]
    pub rewrite: Option<super::rewrite::ToolRewriteSpec>,
}

/// `graphql-datasets.yaml`: which group each GraphQL dataset needs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlFile {
    pub endpoint: String,
    pub datasets: Vec<GraphqlDatasetSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlDatasetSpec {
    /// `zones` or `accounts`: the node under `viewer` the dataset hangs from.
    pub root: String,
    pub groups: Vec<String>,
    pub names: Vec<String>,
}
