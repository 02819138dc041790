//! The `rewrite:` section of each tool profile (`rules/tools/*.yaml`): what `fix` changes for
//! that tool, as data. The tool file loader (`rules::model::ToolFile`) checks the section's
//! shape with the rest of the profile; this module reads it for the planner.
//!
//! ```yaml
//! rewrite:
//!   rename: {CF_Key: CF_Token}        # key variable or setting -> the tool's token name
//!   remove: [CF_Email]                # settings the tool prefers over a token while set
//!   manual: "..."                     # the tool cannot be patched: what to do instead
//!   note: "..."                       # shown once with a migrated site of this tool
//! ```

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rewrite {
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub manual: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Only the two fields this module reads; the rest of the file is the loader's business.
#[derive(Deserialize)]
struct ToolRewrite {
    tool: String,
    #[serde(default)]
    rewrite: Option<Rewrite>,
}

/// The built-in tools' rewrite sections, by tool name.
pub static BUILTIN: LazyLock<BTreeMap<String, Rewrite>> = LazyLock::new(|| {
    crate::rules::load::builtin_sources()
        .iter()
        .filter(|s| s.name.contains("tools/"))
        .filter_map(|s| serde_norway::from_str::<ToolRewrite>(&s.text).ok())
        .filter_map(|t| t.rewrite.map(|r| (t.tool, r)))
        .collect()
});

pub fn of(tool: Option<&str>) -> Option<&'static Rewrite> {
    BUILTIN.get(tool?)
}

/// Every name some tool says to remove with the key (e-mail settings and their aliases).
pub fn removed_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.values().flat_map(|r| r.remove.iter().map(String::as_str))
}
