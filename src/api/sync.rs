//! `catalog sync`: Cloudflare's permission groups (names, ids, scopes), fetched and cached.
//!
//! Takes a client and the bootstrap token; returns the groups and how they differ from the
//! bundled `rules/permission-groups.yaml`. The cache is a small JSON file (its shape and reader
//! live in `rules::synced`) that the rules loader lays over the bundled ids for every command,
//! so plans, emitted policies, reports and `mint` carry the real ids. Printing is left to
//! `lib.rs`.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::client::{Auth, Client};
use super::ApiError;
use crate::rules::synced::cache_text;
pub use crate::rules::synced::{default_cache_path, RemoteGroup};
use crate::rules::Knowledge;
use crate::secret::Secret;

/// The permission a token needs to list permission groups.
pub const NEEDS: &str = "API Tokens Read";
/// See facts 3.4: `GET /user/tokens/permission_groups`, items `{id, name, scopes[]}`.
const PATH: &str = "/user/tokens/permission_groups";

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

pub fn write_cache(path: &Path, source: &str, groups: &[RemoteGroup]) -> Result<(), crate::Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::outfile::create_dir(dir)?;
    }
    crate::outfile::write(path, cache_text(source, groups).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::synced::read_cache;

    #[test]
    fn cache_round_trips() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("groups.json");
        let groups = vec![RemoteGroup {
            id: "d1".into(),
            name: "DNS Read".into(),
            scopes: vec!["com.cloudflare.api.account.zone".into()],
        }];
        write_cache(&path, "https://example", &groups).expect("write");
        assert_eq!(read_cache(&path).expect("read").groups, groups);
    }
}
