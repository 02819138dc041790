//! `rules list` and `rules check`.

use super::out::print;
use crate::cli::Format;
use crate::rules::{self, RuleSet};
use crate::{Error, Outcome};

pub fn list(rules: &[std::path::PathBuf], format: Format) -> Result<Outcome, Error> {
    let set = RuleSet::load(rules)?;
    print(&rules_list(&set, format));
    Ok(Outcome::Clean)
}

pub fn check(files: &[std::path::PathBuf]) -> Result<Outcome, Error> {
    let mut user = Vec::new();
    for f in files {
        user.extend(rules::load::user_sources(f)?);
    }
    let names: Vec<String> = user.iter().map(|s| s.name.clone()).collect();
    // Checking a copy of a built-in file (`rules check rules/detect/env.yaml`) must not
    // report its ids as defined twice.
    let mut sources: Vec<_> =
        rules::load::builtin_sources().into_iter().filter(|b| !user.iter().any(|u| u.text == b.text)).collect();
    sources.extend(user);
    let set = RuleSet::from_sources(&sources)?;
    print(&format!(
        "ok: {} file{} checked ({} detection rules, {} operations in effect)\n",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        set.detect.len(),
        set.knowledge.operations.len()
    ));
    Ok(Outcome::Clean)
}

fn rules_list(set: &RuleSet, format: Format) -> String {
    match format {
        Format::Json | Format::Sarif => {
            let rows: Vec<serde_json::Value> = set
                .detect
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "kind": r.kind, "severity": r.severity, "summary": r.summary,
                        "why": r.why, "fix": r.fix, "files": r.file_globs, "origin": r.origin,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&serde_json::json!({ "rules": rows })).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Human => {
            let width = set.detect.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for r in &set.detect {
                s.push_str(&format!(
                    "{:width$}  {:8}  {:7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.kind.as_str(),
                    r.summary
                ));
            }
            s.push_str(&format!(
                "{} detection rules; {} API operations, {} permission groups, {} SDK maps, {} tool profiles\n",
                set.detect.len(),
                set.knowledge.operations.len(),
                set.knowledge.groups.len(),
                set.knowledge.sdks.len(),
                set.knowledge.tools.len()
            ));
            s
        }
    }
}
