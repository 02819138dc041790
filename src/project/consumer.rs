//! Deployment units: the piece of a tree that is deployed and run as one, and so holds one
//! token.
//!
//! A file belongs to the nearest folder above it (up to the scanned root) that holds a project
//! manifest (`go.mod`, `package.json`, `pyproject.toml`, `setup.py`, `requirements.txt`,
//! `Cargo.toml`, `composer.json`, `Gemfile`, `*.csproj`, `pom.xml`, `build.gradle`), a Helm
//! chart (`Chart.yaml`); a CI workflow file is a unit of its own, and so is each Terraform
//! module (its folder: a root module reaches its child modules through graph edges, not by
//! being one unit). A file under no such folder is a unit with its own folder. The answer
//! depends only on the tree below the scanned root, so a project gets the same units whether
//! it is scanned alone or inside a bigger tree.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::scan::texts::Texts;

/// A deployment unit, named by its folder (or workflow file) as a display path; `.` is the
/// scanned root itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Consumer(pub String);

impl fmt::Display for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) use crate::scan::texts::MANIFESTS;

/// The folders that are project roots, found once from the walked file names.
#[derive(Debug, Default)]
pub struct Units {
    roots: BTreeSet<String>,
    /// Files that belong to another file's unit: a workload manifest to the unit of the image
    /// it runs (`kube.rs`).
    adopted: BTreeMap<String, Consumer>,
}

pub(crate) fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn name_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(_, n)| n).unwrap_or(path)
}

/// A CI workflow: each one runs as its own job with its own secrets.
pub fn is_workflow(path: &str) -> bool {
    let in_actions = path.starts_with(".github/workflows/") || path.contains("/.github/workflows/");
    (in_actions && (path.ends_with(".yml") || path.ends_with(".yaml"))) || name_of(path) == ".gitlab-ci.yml"
}

impl Units {
    pub fn of(texts: &Texts) -> Units {
        let roots = texts
            .paths()
            .filter(|p| {
                let name = name_of(p);
                MANIFESTS.contains(&name) || name.ends_with(".csproj")
            })
            .map(|p| folder_of(p).to_string())
            .collect();
        Units { roots, adopted: BTreeMap::new() }
    }

    /// `path` belongs to `consumer` whatever folder it is in.
    pub fn adopt(&mut self, path: &str, consumer: Consumer) {
        self.adopted.insert(path.to_string(), consumer);
    }

    /// The unit a file belongs to.
    pub fn consumer_of(&self, path: &str) -> Consumer {
        if let Some(c) = self.adopted.get(path) {
            return c.clone();
        }
        if is_workflow(path) {
            return Consumer(path.to_string());
        }
        let own = folder_of(path);
        if path.ends_with(".tf") || path.ends_with(".tfvars") {
            return Consumer(dot(own));
        }
        let mut dir = own;
        loop {
            if self.roots.contains(dir) {
                return Consumer(dot(dir));
            }
            if dir.is_empty() {
                return Consumer(dot(own));
            }
            dir = folder_of(dir);
        }
    }
}

fn dot(dir: &str) -> String {
    if dir.is_empty() {
        ".".to_string()
    } else {
        dir.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(roots: &[&str]) -> Units {
        Units { roots: roots.iter().map(|s| s.to_string()).collect(), adopted: BTreeMap::new() }
    }

    #[test]
    fn nearest_manifest_else_own_folder() {
        let u = units(&["apps/purge", "apps/dns", ""]);
        assert_eq!(u.consumer_of("apps/purge/src/main.py").0, "apps/purge");
        assert_eq!(u.consumer_of("apps/dns/x.js").0, "apps/dns");
        assert_eq!(u.consumer_of("scripts/a.sh").0, ".");
        let u = units(&[]);
        assert_eq!(u.consumer_of("scripts/a.sh").0, "scripts");
        assert_eq!(u.consumer_of("a.sh").0, ".");
    }

    #[test]
    fn workflows_and_terraform_modules_stand_alone() {
        let u = units(&[""]);
        assert_eq!(u.consumer_of(".github/workflows/purge.yml").0, ".github/workflows/purge.yml");
        assert_eq!(u.consumer_of("infra/modules/dns/main.tf").0, "infra/modules/dns");
    }
}
