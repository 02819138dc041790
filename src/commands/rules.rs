//! `rules list` and `rules check`.

use super::out::print;
use crate::cli::DataFormat;
use crate::rules::{self, RuleSet};
use crate::{Error, Outcome};

pub fn list(rules: &[std::path::PathBuf], format: DataFormat) -> Result<Outcome, Error> {
    let set = RuleSet::load(rules)?;
    print(&rules_list(&set, format));
    Ok(Outcome::Clean)
}

pub fn check(files: &[std::path::PathBuf]) -> Result<Outcome, Error> {
    print(&rules::entries::check(files)?);
    Ok(Outcome::Clean)
}

fn rules_list(set: &RuleSet, format: DataFormat) -> String {
    match format {
        DataFormat::Json => {
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
        DataFormat::Human => {
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
