//! Inline suppressions: `scopesmith:ignore[rule-id] reason` in a comment on a finding's line
//! or the line above it.
//!
//! Any comment syntax works: only the text matters. Ids are comma-separated rule ids or
//! `all`. The reason is required, so that every accepted use says why in the code itself; a
//! suppression without one does not suppress and becomes a warning. Only files with findings
//! are read again, and only the lines next to those findings are looked at.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Warning, WarningReason};

const MARKER: &str = "scopesmith:ignore[";

/// One parsed `scopesmith:ignore[...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub rules: Vec<String>,
    /// Empty when missing (then it does not apply).
    pub reason: String,
}

impl Suppression {
    pub fn covers(&self, rule: &str) -> bool {
        !self.reason.is_empty() && self.rules.iter().any(|r| r == rule || r == "all")
    }
}

/// The suppression written on `line`, if any.
pub fn parse(line: &str) -> Option<Suppression> {
    let at = line.find(MARKER)?;
    let rest = &line[at + MARKER.len()..];
    let close = rest.find(']')?;
    let rules: Vec<String> = rest[..close].split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
    let reason = rest[close + 1..]
        .trim()
        // Closers of block comments (`*/`, `-->`, `#}`, `%>`, `--}}`) are not part of the reason.
        .trim_end_matches("*/")
        .trim_end_matches("-->")
        .trim_end_matches("--}}")
        .trim_end_matches("#}")
        .trim_end_matches("%>")
        .trim()
        .trim_start_matches([':', '-', '—'])
        .trim()
        .to_string();
    Some(Suppression { rules, reason })
}

/// Splits `findings` into the kept ones and the number suppressed; suppressions that lack a
/// reason or name no known rule become warnings. `locate` maps a finding's display path to
/// the file to read.
pub fn apply(
    findings: Vec<Finding>,
    known_rules: &[&str],
    locate: impl Fn(&str) -> PathBuf,
    max_bytes: u64,
) -> (Vec<Finding>, usize, Vec<Warning>) {
    // Only the lines that can hold a finding's suppression: its own and the one above.
    let mut wanted: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for f in &findings {
        let w = wanted.entry(f.path.clone()).or_default();
        w.insert(f.line);
        w.insert(f.line.saturating_sub(1));
    }
    let by_path: BTreeMap<String, BTreeMap<usize, String>> = wanted
        .into_iter()
        .map(|(path, want)| {
            let lines = wanted_lines(&locate(&path), &want, max_bytes);
            (path, lines)
        })
        .collect();
    let mut warned: BTreeMap<(String, usize), Warning> = BTreeMap::new();
    let mut kept = Vec::with_capacity(findings.len());
    let mut suppressed = 0;
    for f in findings {
        let lines = &by_path[&f.path];
        let mut hit = false;
        for n in [f.line, f.line.saturating_sub(1)] {
            let Some(s) = lines.get(&n).and_then(|l| parse(l)) else {
                continue;
            };
            if s.covers(&f.rule) {
                hit = true;
                break;
            }
            let problem = if s.reason.is_empty() {
                Some("`scopesmith:ignore` needs a reason after `]` (e.g. `scopesmith:ignore[rule-id] rotated in Q3`); the finding is not suppressed".to_string())
            } else {
                s.rules
                    .iter()
                    .find(|r| *r != "all" && !known_rules.contains(&r.as_str()))
                    .map(|bad| format!("`scopesmith:ignore[{bad}]` names no known rule (see `scopesmith rules list`)"))
            };
            if let Some(message) = problem {
                warned.entry((f.path.clone(), n)).or_insert(Warning {
                    path: format!("{}:{n}", f.path),
                    reason: WarningReason::Suppression,
                    message,
                });
            }
        }
        if hit {
            suppressed += 1;
        } else {
            kept.push(f);
        }
    }
    (kept, suppressed, warned.into_values().collect())
}

/// The 1-based lines `want` of `path` that carry a marker, reading at most `max_bytes` (the
/// scan's cap: the findings lie within it) and holding one line at a time. An unreadable file
/// just keeps its findings: the scan already read it once.
fn wanted_lines(path: &Path, want: &BTreeSet<usize>, max_bytes: u64) -> BTreeMap<usize, String> {
    let mut out = BTreeMap::new();
    let Some(&last) = want.last() else { return out };
    let Ok(file) = std::fs::File::open(path) else { return out };
    let mut reader = BufReader::new(file.take(max_bytes));
    let mut buf = Vec::new();
    for n in 1..=last {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if want.contains(&n) && memchr::memmem::find(&buf, MARKER.as_bytes()).is_some() {
            out.insert(n, String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_and_reason_in_any_comment() {
        let s =
            parse("export CF_API_KEY=x # scopesmith:ignore[global-key-env-var, x-auth-key-header] legacy box").unwrap();
        assert_eq!(s.rules, ["global-key-env-var", "x-auth-key-header"]);
        assert_eq!(s.reason, "legacy box");
        let s = parse("/* scopesmith:ignore[all] migrating in #12 */").unwrap();
        assert!(s.covers("anything"));
        assert_eq!(s.reason, "migrating in #12");
        let s = parse("<!-- scopesmith:ignore[r]: docs example -->").unwrap();
        assert_eq!(s.reason, "docs example");
    }

    #[test]
    fn no_reason_does_not_suppress() {
        let s = parse("// scopesmith:ignore[r]").unwrap();
        assert!(!s.covers("r"));
        let s = parse("// scopesmith:ignore[r] */").unwrap();
        assert!(!s.covers("r"));
    }

    #[test]
    fn other_rules_are_not_covered() {
        assert!(!parse("# scopesmith:ignore[a] why").unwrap().covers("b"));
        assert!(parse("no marker here").is_none());
    }
}
