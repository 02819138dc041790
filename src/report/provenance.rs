//! Where a result came from: the `source: {repository, commit}` stamp of `scan` and `plan`
//! JSON, so that saved results from many repositories can be merged into one report.
//!
//! Takes a scan root and an optional `--repo-name`; asks git (`rev-parse`, `remote get-url
//! origin`) only when the root is the top of a work tree, so scanning a sub-folder of some
//! repository (the `fixtures/` in tests) stays unstamped and byte-identical across commits.
//! Leaves rendering to the reporters.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The repository and commit a result describes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Source {
    /// `owner/name` from the `origin` remote, or `--repo-name`.
    pub repository: String,
    /// Abbreviated to 12 hex digits: a full 40-hex commit has the shape of a legacy Global API
    /// Key, and `redact::scrub` (rightly) masks every such run in every output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// The stamp for a scan of `roots`: only for a single root that is the top of a git work tree,
/// or when `repo_name` is given. `None` otherwise, so the output carries no `source` field.
pub fn detect(roots: &[std::path::PathBuf], repo_name: Option<&str>) -> Option<Source> {
    let git = match roots {
        [root] if is_work_tree_top(root) => Some(root.as_path()),
        _ => None,
    };
    let commit = git.and_then(|r| git_out(r, &["rev-parse", "--short=12", "HEAD"]));
    let repository = match repo_name {
        Some(n) => n.to_string(),
        None => git.and_then(|r| git_out(r, &["remote", "get-url", "origin"])).map(|u| repository_name(&u))?,
    };
    Some(Source { repository, commit })
}

fn is_work_tree_top(root: &Path) -> bool {
    if !root.is_dir() {
        return false;
    }
    let Some(top) = git_out(root, &["rev-parse", "--show-toplevel"]) else {
        return false;
    };
    match (Path::new(&top).canonicalize(), root.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn git_out(dir: &Path, args: &[&str]) -> Option<String> {
    // The environment cleared as for every git scopesmith runs; these commands read no file
    // contents, so no content filter can run.
    let out = crate::ci::diff::plain_git(dir).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// `git@github.com:acme/api.git`, `https://user:pw@github.com/acme/api` -> `acme/api`. The host
/// and any user info are dropped, so a token embedded in the URL never reaches the output.
pub fn repository_name(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/').map(|(_, p)| p).unwrap_or("")
    } else if let Some((_, p)) = url.split_once(':') {
        // scp-like `user@host:owner/name`
        p
    } else {
        url
    };
    let path = path.trim_matches('/');
    if path.is_empty() {
        "unknown".to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_become_owner_and_name() {
        assert_eq!(repository_name("git@github.com:acme/api.git"), "acme/api");
        assert_eq!(repository_name("https://x-access-token:ghs_secret@github.com/acme/api.git"), "acme/api");
        assert_eq!(repository_name("ssh://git@gitlab.example.com:2222/grp/sub/app"), "grp/sub/app");
        assert_eq!(repository_name("/srv/git/app.git"), "srv/git/app");
    }
}
