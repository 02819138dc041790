//! The `catalog sync` cache: Cloudflare's permission groups (name, id, scopes) as the API
//! listed them, kept in a small JSON file (`$XDG_CACHE_HOME/scopesmith/permission-groups.json`).
//!
//! Takes the path of that file; returns its groups, or a [`CacheError`] naming the file. The
//! rules loader ([`RuleSet::with_synced`](super::RuleSet::with_synced)) lays the ids over the
//! bundled table, so every command (plan, `--emit`, check, report, mint) uses the same ids.
//! Fetching and writing the cache is `catalog sync`'s (`api::sync`); this part is plain JSON,
//! so a build without the HTTP client reads a cache all the same.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::model::Scope;

/// One permission group as `GET /user/tokens/permission_groups` lists it (facts 3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteGroup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl RemoteGroup {
    /// Whether the group applies at `scope` (`com.cloudflare.api.account.zone` for zone).
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope_string(scope))
    }
}

/// The scope string of the API for a catalog scope (facts 3.4).
pub fn scope_string(scope: Scope) -> &'static str {
    match scope {
        Scope::Zone => "com.cloudflare.api.account.zone",
        Scope::Account => "com.cloudflare.api.account",
        Scope::User => "com.cloudflare.api.user",
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    source: String,
    groups: Vec<RemoteGroup>,
}

/// A cache that exists but cannot be used: unreadable, not JSON, or of an unknown version.
#[derive(Debug, Error, Diagnostic)]
#[error("cannot use the permission-group cache {path}: {reason}")]
#[diagnostic(
    code(scopesmith::catalog::cache),
    help("re-run `scopesmith catalog sync` to rewrite it, or delete it to use the bundled permission-group ids")
)]
pub struct CacheError {
    pub path: String,
    pub reason: String,
}

/// The groups of a cache, and the file they were read from.
#[derive(Debug, Clone, Default)]
pub struct Synced {
    pub path: PathBuf,
    pub groups: Vec<RemoteGroup>,
}

impl Synced {
    /// The id the cache gives the group `name` at `scope` (see [`id_for`]).
    pub fn id(&self, name: &str, scope: Scope) -> Option<&str> {
        id_for(&self.groups, name, scope)
    }
}

/// `$XDG_CACHE_HOME/scopesmith/permission-groups.json`, else under `~/.cache` (or
/// `%LOCALAPPDATA%` on Windows).
pub fn default_cache_path() -> Option<PathBuf> {
    crate::outfile::cache_dir().map(|d| d.join("permission-groups.json"))
}

/// The cache to use: `explicit` (a flag; it must exist), else the default one if it exists.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => default_cache_path().filter(|p| p.exists()),
    }
}

/// The text of a cache for `groups` fetched from `source`.
pub fn cache_text(source: &str, groups: &[RemoteGroup]) -> String {
    let file = CacheFile { version: 1, source: source.to_string(), groups: groups.to_vec() };
    let mut text = serde_json::to_string_pretty(&file).expect("the cache always serialises");
    text.push('\n');
    text
}

pub fn read_cache(path: &Path) -> Result<Synced, CacheError> {
    let cache_err = |reason: String| CacheError { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| cache_err(e.to_string()))?;
    let file: CacheFile = serde_json::from_str(&text).map_err(|e| cache_err(e.to_string()))?;
    if file.version != 1 {
        return Err(cache_err(format!("unknown cache version {}", file.version)));
    }
    Ok(Synced { path: path.to_path_buf(), groups: file.groups })
}

/// The id of the group `name` at `scope`: the one listed at that scope, else the only one of
/// that name. `Logs Read` exists at zone and account level under one name (facts 3.4).
pub fn id_for<'g>(groups: &'g [RemoteGroup], name: &str, scope: Scope) -> Option<&'g str> {
    let named: Vec<&RemoteGroup> = groups.iter().filter(|g| g.name == name).collect();
    named
        .iter()
        .find(|g| g.has_scope(scope))
        .or(if named.len() == 1 { named.first() } else { None })
        .map(|g| g.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: &str, name: &str, scope: &str) -> RemoteGroup {
        RemoteGroup { id: id.into(), name: name.into(), scopes: vec![scope.into()] }
    }

    #[test]
    fn same_name_at_two_scopes_is_told_apart() {
        let groups = [
            g("a1", "Logs Read", "com.cloudflare.api.account"),
            g("z1", "Logs Read", "com.cloudflare.api.account.zone"),
            g("d1", "DNS Read", "com.cloudflare.api.account.zone"),
        ];
        assert_eq!(id_for(&groups, "Logs Read", Scope::Zone), Some("z1"));
        assert_eq!(id_for(&groups, "Logs Read", Scope::Account), Some("a1"));
        assert_eq!(id_for(&groups, "Logs Read", Scope::User), None);
        assert_eq!(id_for(&groups, "DNS Read", Scope::Account), Some("d1"), "a unique name wins whatever the scope");
        assert_eq!(id_for(&groups, "Nope", Scope::Zone), None);
    }

    #[test]
    fn cache_round_trips_and_a_bad_one_names_its_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("groups.json");
        let groups = vec![g("d1", "DNS Read", "com.cloudflare.api.account.zone")];
        std::fs::write(&path, cache_text("https://example", &groups)).expect("write");
        assert_eq!(read_cache(&path).expect("read").groups, groups);
        std::fs::write(&path, "{\"version\": 1, \"groups\": [").expect("write");
        let e = read_cache(&path).expect_err("truncated");
        assert!(e.to_string().contains("groups.json"), "{e}");
        std::fs::write(&path, "{\"version\": 2, \"source\": \"x\", \"groups\": []}").expect("write");
        assert!(read_cache(&path).expect_err("version").reason.contains("version 2"));
    }
}
