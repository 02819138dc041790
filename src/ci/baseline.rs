//! Baselines: the findings a team has accepted for now, so that CI fails only on new ones.
//!
//! `write` records findings as `(rule, path, fingerprint)` plus the line for people reading
//! the file; `read` parses one back; `Baseline::split` separates new findings from known ones.
//! Matching ignores the line: fingerprints hash the rule, path and the line's text, so a
//! finding stays known when lines above it move. No secret reaches the file: the fingerprint
//! is a hash and the text is scrubbed like every other output.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::finding::Finding;
use crate::report::redact::scrub;

/// The file format version `write` produces and `read` accepts.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    /// Where the finding was when the baseline was written; not used for matching.
    #[serde(default)]
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    entries: Vec<Entry>,
}

/// A baseline file that cannot be used.
#[derive(Debug, Error, Diagnostic)]
#[error("{}: {message}", path.display())]
#[diagnostic(
    code(scopesmith::baseline::invalid),
    help("write a fresh one with `scopesmith scan --write-baseline {}`", path.display())
)]
pub struct BaselineError {
    path: PathBuf,
    message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

#[derive(Debug, Default)]
pub struct Baseline {
    keys: BTreeSet<(String, String, String)>,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline { keys: entries(findings).into_iter().map(|e| (e.rule, e.path, e.fingerprint)).collect() }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// `(new, known)`: findings not in the baseline, and how many were.
    pub fn split(&self, findings: Vec<Finding>) -> (Vec<Finding>, usize) {
        let before = findings.len();
        let new: Vec<Finding> = findings
            .into_iter()
            .filter(|f| !self.keys.contains(&(f.rule.clone(), scrub(&f.path), f.fingerprint.clone())))
            .collect();
        let known = before - new.len();
        (new, known)
    }
}

fn entries(findings: &[Finding]) -> Vec<Entry> {
    let mut out: Vec<Entry> = findings
        .iter()
        .map(|f| Entry { rule: f.rule.clone(), path: scrub(&f.path), fingerprint: f.fingerprint.clone(), line: f.line })
        .collect();
    out.sort();
    out.dedup_by(|a, b| (&a.rule, &a.path, &a.fingerprint) == (&b.rule, &b.path, &b.fingerprint));
    out
}

/// The baseline file's text for `findings`: sorted, pretty, ending in a newline.
pub fn render(findings: &[Finding]) -> String {
    let file = File { version: VERSION, entries: entries(findings) };
    let mut text = serde_json::to_string_pretty(&file).expect("baseline entries always serialise");
    text.push('\n');
    scrub(&text)
}

pub fn write(path: &Path, findings: &[Finding]) -> Result<usize, crate::Error> {
    let text = render(findings);
    std::fs::write(path, text).map_err(|source| crate::Error::Write { path: path.to_path_buf(), source })?;
    Ok(entries(findings).len())
}

pub fn read(path: &Path) -> Result<Baseline, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    Ok(parse(path, text)?)
}

pub fn parse(path: &Path, text: String) -> Result<Baseline, Box<BaselineError>> {
    let file: File = match serde_json::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            let offset = crate::error::offset_of(&text, e.line(), e.column());
            let message = e.to_string();
            let label = message.split(" at line ").next().unwrap_or(&message).to_string();
            return Err(Box::new(BaselineError {
                path: path.to_path_buf(),
                message: format!("not a valid baseline: {message}"),
                src: NamedSource::new(path.display().to_string(), text),
                span: SourceSpan::from((offset, 0)),
                label,
            }));
        }
    };
    if file.version != VERSION {
        let offset = text.find("\"version\"").unwrap_or(0);
        return Err(Box::new(BaselineError {
            path: path.to_path_buf(),
            message: format!("baseline version {} is not supported (expected {VERSION})", file.version),
            src: NamedSource::new(path.display().to_string(), text),
            span: SourceSpan::from((offset, "\"version\"".len())),
            label: "this version".into(),
        }));
    }
    Ok(Baseline { keys: file.entries.into_iter().map(|e| (e.rule, e.path, e.fingerprint)).collect() })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::{Kind, Role, Severity};

    pub(crate) fn finding(rule: &str, path: &str, line: usize, fingerprint: &str) -> Finding {
        Finding {
            rule: rule.into(),
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            kind: Kind::Env,
            role: Role::Key,
            credential: Some("CF_API_KEY".into()),
            severity: Severity::High,
            message: "m".into(),
            fix: "f".into(),
            snippet: "export CF_API_KEY=$CF_API_KEY".into(),
            secret: None,
            tool: None,
            sdk: None,
            fingerprint: fingerprint.into(),
            history: None,
        }
    }

    #[test]
    fn round_trip_matches_on_fingerprint_not_line() {
        let today = vec![finding("r", "a.sh", 3, "00aa"), finding("r", "b.sh", 9, "00bb")];
        let text = render(&today);
        let base = parse(Path::new("b.json"), text).unwrap();
        assert_eq!(base.len(), 2);
        let later = vec![finding("r", "a.sh", 7, "00aa"), finding("r", "a.sh", 8, "00cc")];
        let (new, known) = base.split(later);
        assert_eq!(known, 1);
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].fingerprint, "00cc");
    }

    #[test]
    fn output_is_sorted_and_stable() {
        let a = render(&[finding("r", "b.sh", 1, "2"), finding("r", "a.sh", 1, "1")]);
        let b = render(&[finding("r", "a.sh", 1, "1"), finding("r", "b.sh", 1, "2")]);
        assert_eq!(a, b);
        assert!(a.find("a.sh").unwrap() < a.find("b.sh").unwrap());
    }

    #[test]
    fn malformed_file_points_at_line_and_column() {
        let text = "{\n  \"version\": 1,\n  \"entries\": [ {\"rule\": 3} ]\n}\n".to_string();
        let err = parse(Path::new("base.json"), text.clone()).unwrap_err();
        assert!(err.to_string().contains("base.json"), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(err.span.offset() > text.find("entries").unwrap());
    }

    #[test]
    fn unknown_version_is_refused() {
        let err = parse(Path::new("b.json"), "{\"version\": 9, \"entries\": []}".into()).unwrap_err();
        assert!(err.to_string().contains("version 9"));
    }
}
