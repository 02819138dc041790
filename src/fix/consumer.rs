//! Which credential and consumer a site belongs to, and the files of a consumer.
//!
//! A credential is (name or secret, consumer); a consumer is the nearest project root above a
//! file (a folder holding `go.mod`, `package.json`, `pyproject.toml`, `setup.py`,
//! `requirements.txt`, `Cargo.toml`, `composer.json`, `Gemfile`, a `*.csproj`, `pom.xml`,
//! `build.gradle[.kts]`, `Chart.yaml` or `*.tf`), a GitHub workflow file on its own, else the
//! file's folder. Which sites move together is the plan's credential identity
//! ([`CredentialId`]: secret and consumer, from the project model), so `fix` and `plan` agree
//! on credentials; the folder notion here only says which files a rename must reach
//! ([`files_of`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::Finding;
use crate::infer::Plan;
use crate::project::CredentialId;

/// Files larger than this are not searched for a variable's other uses; a consumer holding
/// one cannot be renamed completely, so the rename is not made.
pub const MAX_SEARCHED: u64 = 4 * 1024 * 1024;

/// A consumer: its folder (or workflow file) as displayed and on disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Consumer {
    pub display: String,
    pub real: PathBuf,
    /// A workflow file is a consumer of its own.
    pub single_file: bool,
}

fn is_root(dir: &Path) -> bool {
    if crate::project::consumer::MANIFESTS.iter().any(|m| dir.join(m).is_file()) {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(|e| e.ok()).any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            (n.ends_with(".csproj") || n.ends_with(".tf")) && e.file_type().is_ok_and(|t| t.is_file())
        })
    })
}

fn is_workflow(display: &str) -> bool {
    display.contains(".github/workflows/") && (display.ends_with(".yml") || display.ends_with(".yaml"))
}

/// The consumer of a file, never above the scanned root (`display` is relative to it).
pub fn consumer_of(display: &str, real: &Path) -> Consumer {
    if is_workflow(display) {
        return Consumer { display: display.to_string(), real: real.to_path_buf(), single_file: true };
    }
    let parts: Vec<&str> = display.split('/').collect();
    let mut dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
    // parts[..n] is the display form of `dir` while walking up.
    for n in (0..parts.len()).rev() {
        if is_root(&dir) {
            return Consumer { display: parts[..n].join("/"), real: dir, single_file: false };
        }
        match dir.parent() {
            Some(p) if n > 0 => dir = p.to_path_buf(),
            _ => break,
        }
    }
    let folder = parts[..parts.len().saturating_sub(1)].join("/");
    Consumer { display: folder, real: real.parent().map(Path::to_path_buf).unwrap_or_default(), single_file: false }
}

/// Which credential a site is: its name as the scan found it, except
/// - on a line that also sends `X-Auth-Email`, where the name is read from the `X-Auth-Key`
///   value itself (the e-mail's variable may have been picked up first);
/// - when that name is only a template placeholder (`export CF_Key={{KEY}}`): the variable
///   being set is the credential, the placeholder is filled by someone else's tooling.
pub fn credential_name(f: &Finding, line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    if lower.contains("x-auth-email") {
        if let Some(pos) = lower.find("x-auth-key") {
            let rest = &line[pos + "x-auth-key".len()..];
            // The value up to the next header on the line.
            let end = rest.to_ascii_lowercase().find("x-auth-").unwrap_or(rest.len());
            if let Some(name) = crate::scan::credential::name_in(&rest[..end]) {
                return Some(name);
            }
        }
    }
    if let Some(c) = &f.credential {
        if crate::fix::rewrite::only_in_placeholders(line, c) {
            if let Some(assigned) = crate::fix::rewrite::assigned_name(line) {
                return Some(assigned);
            }
        }
    }
    f.credential.clone()
}

/// The plan's credential of each site, by (path, line). A site the project model joined to
/// several consumers keeps the first.
pub type Ids<'a> = BTreeMap<(&'a str, usize), &'a CredentialId>;

pub fn plan_ids(plan: &Plan) -> Ids<'_> {
    let mut ids = Ids::new();
    for c in &plan.credentials {
        for s in &c.sites {
            ids.entry((s.path.as_str(), s.line)).or_insert(&c.id);
        }
    }
    ids
}

/// The identity of a key or e-mail site: (credential name, its folder consumer, and the
/// credential it belongs to: the plan's `secret (consumer)`, else the folder consumer for a
/// site the plan does not list).
pub fn identity(f: &Finding, line: &str, real: &Path, ids: &Ids) -> (Option<String>, Consumer, String) {
    let c = consumer_of(&f.path, real);
    let credential = match ids.get(&(f.path.as_str(), f.line)) {
        Some(id) => format!("{} ({})", id.secret, id.consumer),
        None => c.display.clone(),
    };
    (credential_name(f, line), c, credential)
}

/// Every text file of a consumer: (display path, real path). Files that belong to a nested
/// consumer are left to it. `Err(path)`: a file that could not be searched.
pub fn files_of(c: &Consumer) -> Vec<(String, PathBuf)> {
    if c.single_file {
        return vec![(c.display.clone(), c.real.clone())];
    }
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(&c.real).hidden(false).follow_links(false).build();
    for entry in walk.filter_map(|e| e.ok()) {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        if path.components().any(|p| p.as_os_str() == ".git") {
            continue;
        }
        let Ok(rel) = path.strip_prefix(&c.real) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let display = if c.display.is_empty() { rel } else { format!("{}/{rel}", c.display) };
        if consumer_of(&display, path) != *c {
            continue;
        }
        out.push((display, path.to_path_buf()));
    }
    out.sort();
    out
}
