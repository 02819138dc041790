//! Which credential and consumer a site belongs to, and the files of a consumer.
//!
//! A credential is (name or secret, consumer); a consumer is the nearest project root above a
//! file (a folder holding one of the project model's manifests, a `*.csproj` or a `*.tf`), a
//! GitHub workflow file on its own, else the file's folder. Which sites move together is the
//! plan's credential identity ([`CredentialId`]: secret and consumer, from the project model),
//! so `fix` and `plan` agree on credentials; the folder notion here only says which files a
//! rename must reach ([`Index::files_of`]).
//!
//! Everything here comes from the scan: the files it kept (those with findings) and the project
//! files its walk saw, with the same ignore files and excludes. Nothing walks a folder again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::finding::Finding;
use crate::infer::Plan;
use crate::project::CredentialId;
use crate::scan::ScanResult;

/// A consumer: its folder (or workflow file) as displayed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Consumer {
    pub display: String,
    /// A workflow file is a consumer of its own.
    pub single_file: bool,
}

fn is_workflow(display: &str) -> bool {
    display.contains(".github/workflows/") && (display.ends_with(".yml") || display.ends_with(".yaml"))
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// The files the scan knows: display path -> real path.
#[derive(Debug, Default)]
pub struct Index {
    files: BTreeMap<String, PathBuf>,
    /// Folders that are project roots, found once from the file names.
    roots: BTreeSet<String>,
}

impl Index {
    pub fn of(result: &ScanResult) -> Index {
        let mut files: BTreeMap<String, PathBuf> =
            result.texts.walked_files().map(|(d, r)| (d.to_string(), r.to_path_buf())).collect();
        files.extend(result.sources.iter().map(|(d, r)| (d.clone(), r.clone())));
        Index::with(files)
    }

    fn with(files: BTreeMap<String, PathBuf>) -> Index {
        let roots = files
            .keys()
            .filter(|f| {
                let name = f.rsplit('/').next().unwrap_or(f);
                crate::project::consumer::MANIFESTS.contains(&name)
                    || name.ends_with(".csproj")
                    || name.ends_with(".tf")
            })
            .map(|f| folder_of(f).to_string())
            .collect();
        Index { files, roots }
    }

    #[cfg(test)]
    fn from_paths(paths: &[&str]) -> Index {
        Index::with(paths.iter().map(|p| (p.to_string(), PathBuf::from(p))).collect())
    }

    pub fn real(&self, display: &str) -> Option<&Path> {
        self.files.get(display).map(PathBuf::as_path)
    }

    /// Files under a folder (`""` is the root), in path order.
    fn under<'a>(&'a self, folder: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let start = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        self.files.range(start.clone()..).map(|(k, _)| k.as_str()).take_while(move |k| k.starts_with(&start))
    }

    /// The consumer of a file, never above the scanned root (`display` is relative to it).
    pub fn consumer_of(&self, display: &str) -> Consumer {
        if is_workflow(display) {
            return Consumer { display: display.to_string(), single_file: true };
        }
        let parts: Vec<&str> = display.split('/').collect();
        for n in (0..parts.len()).rev() {
            let dir = parts[..n].join("/");
            if self.roots.contains(&dir) {
                return Consumer { display: dir, single_file: false };
            }
        }
        Consumer { display: folder_of(display).to_string(), single_file: false }
    }

    /// Every file of a consumer the scan knows: (display path, real path). Files that belong
    /// to a nested consumer are left to it.
    pub fn files_of(&self, c: &Consumer) -> Vec<(String, PathBuf)> {
        if c.single_file {
            return self.real(&c.display).map(|r| (c.display.clone(), r.to_path_buf())).into_iter().collect();
        }
        self.under(&c.display)
            .filter(|f| self.consumer_of(f) == *c)
            .filter_map(|f| Some((f.to_string(), self.real(f)?.to_path_buf())))
            .collect()
    }
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
pub fn identity(f: &Finding, line: &str, index: &Index, ids: &Ids) -> (Option<String>, Consumer, String) {
    let c = index.consumer_of(&f.path);
    let credential = match ids.get(&(f.path.as_str(), f.line)) {
        Some(id) => format!("{} ({})", id.secret, id.consumer),
        None => c.display.clone(),
    };
    (credential_name(f, line), c, credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumers_from_the_scanned_files() {
        let index = Index::from_paths(&[
            "svc/package.json",
            "svc/src/index.js",
            "svc/.env",
            "svc/tools/inner/go.mod",
            "svc/tools/inner/main.go",
            "infra/main.tf",
            "infra/prod.tfvars",
            "scripts/purge.sh",
            ".github/workflows/deploy.yml",
        ]);
        assert_eq!(index.consumer_of("svc/src/index.js").display, "svc");
        assert_eq!(index.consumer_of("svc/tools/inner/main.go").display, "svc/tools/inner");
        assert_eq!(index.consumer_of("infra/prod.tfvars").display, "infra");
        assert_eq!(index.consumer_of("scripts/purge.sh").display, "scripts");
        let files: Vec<String> = index.files_of(&index.consumer_of("svc/.env")).into_iter().map(|f| f.0).collect();
        assert_eq!(files, ["svc/.env", "svc/package.json", "svc/src/index.js"], "the nested Go module is its own");
        let wf = index.consumer_of(".github/workflows/deploy.yml");
        assert!(wf.single_file && index.files_of(&wf).len() == 1);
    }
}
