//! `catalog sync`: Cloudflare's permission groups (names, ids, scopes), fetched and cached.
//!
//! Takes a client and the bootstrap token; returns the groups and how they differ from the
//! bundled `rules/permission-groups.yaml`. The cache is a small JSON file that
//! [`Knowledge::with_synced_ids`](crate::rules::Knowledge::with_synced_ids) and `mint` read to
//! put real ids into policies. Printing is left to `lib.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::client::{Auth, Client};
use super::ApiError;
use crate::rules::model::Scope;
use crate::rules::Knowledge;
use crate::secret::Secret;

/// The permission a token needs to list permission groups.
pub const NEEDS: &str = "API Tokens Read";
/// See facts 3.4: `GET /user/tokens/permission_groups`, items `{id, name, scopes[]}`.
const PATH: &str = "/user/tokens/permission_groups";

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

/// What a sync found.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub path: String,
    pub fetched: usize,
    /// Listed by the API, unknown to the bundled catalog (by name).
    pub unknown: Vec<String>,
    /// In the bundled catalog, not listed by the API.
    pub missing: Vec<String>,
}

/// All permission groups, every page.
pub fn fetch(client: &Client, token: &Secret) -> Result<Vec<RemoteGroup>, ApiError> {
    let mut groups: Vec<RemoteGroup> = client.all(PATH, &Auth::Bearer(token), NEEDS)?;
    groups.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    groups.dedup();
    Ok(groups)
}

/// Fetches, writes the cache (its folder created if needed) and compares with the catalog.
pub fn sync(client: &Client, token: &Secret, knowledge: &Knowledge, out: &Path) -> Result<SyncReport, crate::Error> {
    let groups = fetch(client, token)?;
    write_cache(out, client.base(), &groups)?;
    let remote: BTreeSet<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    let bundled: BTreeSet<&str> = knowledge.groups.keys().map(String::as_str).collect();
    Ok(SyncReport {
        path: out.display().to_string(),
        fetched: groups.len(),
        unknown: remote.difference(&bundled).map(|s| s.to_string()).collect(),
        missing: bundled.difference(&remote).map(|s| s.to_string()).collect(),
    })
}

/// `$XDG_CACHE_HOME/scopesmith/permission-groups.json`, else under `~/.cache` (or
/// `%LOCALAPPDATA%` on Windows).
pub fn default_cache_path() -> Option<PathBuf> {
    crate::outfile::cache_dir().map(|d| d.join("permission-groups.json"))
}

pub fn write_cache(path: &Path, source: &str, groups: &[RemoteGroup]) -> Result<(), crate::Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::outfile::create_dir(dir)?;
    }
    let file = CacheFile { version: 1, source: source.to_string(), groups: groups.to_vec() };
    let mut text = serde_json::to_string_pretty(&file).expect("the cache always serialises");
    text.push('\n');
    crate::outfile::write(path, text.as_bytes())
}

pub fn read_cache(path: &Path) -> Result<Vec<RemoteGroup>, ApiError> {
    let cache_err = |reason: String| ApiError::Cache { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| cache_err(e.to_string()))?;
    let file: CacheFile = serde_json::from_str(&text).map_err(|e| cache_err(e.to_string()))?;
    if file.version != 1 {
        return Err(cache_err(format!("unknown cache version {}", file.version)));
    }
    Ok(file.groups)
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
    fn cache_round_trips() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("groups.json");
        let groups = vec![g("d1", "DNS Read", "com.cloudflare.api.account.zone")];
        write_cache(&path, "https://example", &groups).expect("write");
        assert_eq!(read_cache(&path).expect("read"), groups);
    }
}
