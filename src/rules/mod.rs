//! Detection and permission knowledge, loaded from `rules/` (embedded) and `--rules DIR`.
//!
//! `load.rs` reads and parses files, `model.rs` is their serde shape, `compile.rs` checks and
//! compiles detection rules, `knowledge.rs` checks the catalog, SDK maps and tool profiles;
//! `generate.rs` builds the catalog from tools/catalog/extracts, `coverage.rs` its per-family table;
//! `synced.rs` reads the `catalog sync` cache whose ids [`RuleSet::load_synced`] lays over the
//! bundled ones.

pub mod compile;
pub mod coverage;
pub mod entries;
pub mod generate;
pub mod graphql;
pub mod knowledge;
mod lazy;
pub mod load;
pub mod model;
pub mod openapi;
pub mod rewrite;
pub mod synced;

use std::path::{Path, PathBuf};

pub use compile::{DetectRule, Matcher};
pub use knowledge::Knowledge;
pub use lazy::LazyKnowledge;
pub use load::{RuleError, RuleErrors, RuleFile, RuleSource};

/// Every rule scopesmith runs with, checked.
#[derive(Debug)]
pub struct RuleSet {
    pub detect: Vec<DetectRule>,
    /// Built when first used (`scan` never uses it) unless the user's files add to it.
    pub knowledge: LazyKnowledge,
    /// The `catalog sync` cache whose ids replace the bundled ones, if one was used.
    pub synced: Option<synced::Synced>,
}

impl RuleSet {
    /// The built-in rules plus the user's directories; a user rule with a built-in rule's id
    /// replaces it.
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, crate::Error> {
        Self::load_on(extra, crate::parallel::threads(None))
    }

    /// As [`RuleSet::load`], parsing the files on `threads` threads (`--threads`).
    pub fn load_on(extra: &[PathBuf], threads: usize) -> Result<RuleSet, crate::Error> {
        let mut user = Vec::new();
        for dir in extra {
            user.extend(load::user_sources(dir)?);
        }
        // A user file that adds to the knowledge is checked against the built-in one now, so
        // its mistakes are reported whatever the command. Otherwise the built-in knowledge
        // (checked by the tests below) is parsed only by a command that uses it.
        if user.iter().any(|s| !load::is_detect_file(s)) {
            let mut sources = load::builtin_sources();
            sources.append(&mut user);
            return Ok(Self::from_sources_on(&sources, threads)?);
        }
        let mut sources = load::builtin_detect_sources();
        sources.append(&mut user);
        let mut set = Self::from_sources_on(&sources, threads)?;
        set.knowledge = LazyKnowledge::later(threads);
        Ok(set)
    }

    /// The rules a command runs with: [`RuleSet::load_on`], with the permission-group ids of
    /// the `catalog sync` cache laid over the bundled ones: the cache `explicit` names (`mint
    /// --catalog`), else the default one if it exists. A cache that exists but cannot be read is
    /// an error naming it, never silently skipped (its ids would differ from the run before).
    pub fn load_synced(extra: &[PathBuf], threads: usize, explicit: Option<&Path>) -> Result<RuleSet, crate::Error> {
        let set = Self::load_on(extra, threads)?;
        match synced::locate(explicit) {
            Some(path) => Ok(set.with_synced(synced::read_cache(&path)?)),
            None => Ok(set),
        }
    }

    /// These rules with `synced`'s ids in the knowledge (applied when it is built).
    pub fn with_synced(mut self, synced: synced::Synced) -> RuleSet {
        self.knowledge.apply_synced(synced.clone());
        self.synced = Some(synced);
        self
    }

    pub fn from_sources(sources: &[RuleSource]) -> Result<RuleSet, RuleErrors> {
        Self::from_sources_on(sources, crate::parallel::threads(None))
    }

    fn from_sources_on(sources: &[RuleSource], threads: usize) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        let mut detect: Vec<DetectRule> = Vec::new();
        let mut files = Vec::new();
        for (source, parsed) in sources.iter().zip(parse_in_parallel(sources, threads)) {
            match parsed {
                Ok(RuleFile::Detect(file)) => {
                    for spec in file.rules {
                        match compile::compile(spec, source) {
                            Ok(rule) => {
                                if let Some(old) = detect.iter_mut().find(|r| r.id == rule.id) {
                                    if old.origin.starts_with("builtin:") && !rule.origin.starts_with("builtin:") {
                                        *old = rule;
                                    } else {
                                        errors.push(source.error_at(
                                            Some(&rule.id),
                                            "id",
                                            format!("rule id `{}` is already defined in {}", rule.id, old.origin),
                                            Some("rule ids must be unique; rename one of them".into()),
                                        ));
                                    }
                                } else {
                                    detect.push(rule);
                                }
                            }
                            Err(mut errs) => errors.append(&mut errs),
                        }
                    }
                }
                Ok(other) => files.push((source, other)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        let knowledge = Knowledge::build(files, &mut errors);
        if errors.is_empty() {
            detect.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(RuleSet { detect, knowledge: LazyKnowledge::built(knowledge), synced: None })
        } else {
            Err(RuleErrors { errors })
        }
    }
}

/// Each file parsed on its own, on a few threads: the built-in catalog and SDK maps are a few
/// megabytes of YAML, and every command starts by reading them.
pub(crate) fn parse_in_parallel(sources: &[RuleSource], threads: usize) -> Vec<Result<RuleFile, Vec<RuleError>>> {
    crate::parallel::map(threads, sources, 2, entries::parse_all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_knowledge_built_later_is_the_one_checked_now() {
        let eager = RuleSet::from_sources(&load::builtin_sources()).expect("built-in rules are valid");
        let lazy = RuleSet::load(&[]).expect("built-in rules load");
        assert_eq!(lazy.detect.len(), eager.detect.len());
        assert!(!lazy.knowledge.is_built(), "scan does not pay for the catalog");
        assert_eq!(lazy.knowledge.operations.len(), eager.knowledge.operations.len());
        assert!(!eager.knowledge.operations.is_empty());
        assert_eq!(format!("{:?}", *lazy.knowledge), format!("{:?}", *eager.knowledge));
    }
}
