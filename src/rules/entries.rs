//! Every problem in a rule file, not just the first: serde stops at the first bad entry of a
//! list, so when a file fails to parse, each entry of its list (`rules:`, `operations:`) is
//! checked on its own and each bad one is reported at its `id`/`method` line.

use serde::de::DeserializeOwned;

use super::load::{RuleError, RuleFile, RuleSource};
use super::model::{DetectRuleSpec, OperationSpec};

/// `RuleFile::parse`, with one error per bad list entry when it fails.
pub fn parse_all(source: &RuleSource) -> Result<RuleFile, Vec<RuleError>> {
    let first = match RuleFile::parse(source) {
        Ok(file) => return Ok(file),
        Err(e) => e,
    };
    // Too deep to parse is the whole answer: a second parse would cost what the check saved.
    if crate::limits::yaml_too_deep(&source.text).is_some() {
        return Err(vec![first]);
    }
    let Ok(value) = serde_norway::from_str::<serde_norway::Value>(&source.text) else {
        return Err(vec![first]);
    };
    let mut problems = if value.get("rules").is_some() {
        entry_errors::<DetectRuleSpec>(source, &value, "rules", "id")
    } else if value.get("operations").is_some() {
        entry_errors::<OperationSpec>(source, &value, "operations", "method")
    } else {
        Vec::new()
    };
    // The whole-file error has the exact position of the first bad entry; the rest follow.
    if !problems.is_empty() {
        problems.remove(0);
    }
    problems.insert(0, first);
    Err(problems)
}

fn entry_errors<T: DeserializeOwned>(
    source: &RuleSource,
    value: &serde_norway::Value,
    list: &str,
    anchor_key: &str,
) -> Vec<RuleError> {
    let Some(entries) = value.get(list).and_then(|v| v.as_sequence()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Err(e) = serde_norway::from_value::<T>(entry.clone()) else {
            continue;
        };
        let anchor = entry.get(anchor_key).and_then(|v| v.as_str());
        let message = e.to_string();
        // `unknown field `x``, `missing field `x``: point at that field where it is written.
        let field = message.split('`').nth(1).unwrap_or(anchor_key).to_string();
        let label = anchor.map(|a| format!("`{a}`")).unwrap_or_else(|| format!("entry {}", i + 1));
        out.push(source.error_at(
            anchor,
            &field,
            format!("{list}[{i}] ({label}): {message}"),
            Some("see rules/README.md for the shape of each rule file".into()),
        ));
    }
    out
}

/// `rules check FILE…`: every file read and checked together with the built-in rules, every
/// problem in every file reported at once (an unreadable file does not hide the others').
pub fn check(files: &[std::path::PathBuf]) -> Result<String, super::RuleErrors> {
    let mut user = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        match super::load::user_sources(f) {
            Ok(sources) => user.extend(sources),
            Err(e) => {
                let source = RuleSource { name: f.display().to_string(), text: String::new() };
                let cause = std::error::Error::source(&e).map(|c| format!(": {c}")).unwrap_or_default();
                problems.push(source.error_at(None, "", format!("{e}{cause}"), Some("check the path".into())));
            }
        }
    }
    let names = user.len();
    // Checking a copy of a built-in file (`rules check rules/detect/env.yaml`) must not
    // report its ids as defined twice.
    let mut sources: Vec<_> =
        super::load::builtin_sources().into_iter().filter(|b| !user.iter().any(|u| u.text == b.text)).collect();
    sources.extend(user);
    match super::RuleSet::from_sources(&sources) {
        Ok(set) if problems.is_empty() => Ok(format!(
            "ok: {} file{} checked ({} detection rules, {} operations in effect)\n",
            names,
            if names == 1 { "" } else { "s" },
            set.detect.len(),
            set.knowledge.operations.len()
        )),
        Ok(_) => Err(super::RuleErrors { errors: problems }),
        Err(mut e) => {
            problems.append(&mut e.errors);
            Err(super::RuleErrors { errors: problems })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_rule_is_reported() {
        let text = "rules:\n  - id: one\n    kind: env\n    severity: high\n    summary: s\n    bogus: 1\n  - id: two\n    kind: nope\n    severity: high\n    summary: s\n";
        let source = RuleSource { name: "mine.yaml".into(), text: text.into() };
        let errors = parse_all(&source).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[1].to_string().contains("`two`"), "{}", errors[1]);
    }
}
