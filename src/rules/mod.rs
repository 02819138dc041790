//! Detection and permission knowledge, loaded from `rules/` (embedded) and `--rules DIR`.
//!
//! `load.rs` reads and parses files, `model.rs` is their serde shape, `compile.rs` checks and
//! compiles detection rules, `knowledge.rs` checks the catalog, SDK maps and tool profiles;
//! `generate.rs` builds the catalog from tools/catalog/extracts, `coverage.rs` its per-family table.

pub mod compile;
pub mod coverage;
pub mod entries;
pub mod generate;
pub mod graphql;
pub mod knowledge;
pub mod load;
pub mod model;
pub mod openapi;
pub mod rewrite;

use std::path::PathBuf;

pub use compile::{DetectRule, Matcher};
pub use knowledge::Knowledge;
pub use load::{RuleError, RuleErrors, RuleFile, RuleSource};

/// Every rule scopesmith runs with, checked.
#[derive(Debug)]
pub struct RuleSet {
    pub detect: Vec<DetectRule>,
    pub knowledge: Knowledge,
}

impl RuleSet {
    /// The built-in rules plus the user's directories; a user rule with a built-in rule's id
    /// replaces it.
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, crate::Error> {
        let mut sources = load::builtin_sources();
        for dir in extra {
            sources.extend(load::user_sources(dir)?);
        }
        Ok(Self::from_sources(&sources)?)
    }

    pub fn from_sources(sources: &[RuleSource]) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        let mut detect: Vec<DetectRule> = Vec::new();
        let mut files = Vec::new();
        for source in sources {
            match entries::parse_all(source) {
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
            Ok(RuleSet { detect, knowledge })
        } else {
            Err(RuleErrors { errors })
        }
    }
}
