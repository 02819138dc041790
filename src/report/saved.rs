//! Saved results: `scan --format json` and `plan --format json` files read back for `report`.
//!
//! Takes a file's text, tells a scan (`findings`) from a plan (`credentials`) by content, and
//! returns a `model::Repository` named after the file's `source` stamp (or the file itself).
//! A file that is not valid JSON, or not in the contract's shape, is a `SavedError` pointing at
//! the line and column serde_json reports, shown with miette on the file's text.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use thiserror::Error;

use super::model::{Credential, Repository, SiteFinding};
use super::provenance::Source;

/// A saved result that cannot be read.
#[derive(Debug, Error, Diagnostic)]
#[error("{}: {message}", path.display())]
#[diagnostic(
    code(scopesmith::report::saved),
    help("pass files written by `scopesmith scan --format json` or `scopesmith plan --format json`, unedited")
)]
pub struct SavedError {
    pub path: PathBuf,
    pub message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

#[derive(Deserialize)]
struct SavedScan {
    #[serde(default)]
    source: Option<Source>,
    findings: Vec<SiteFinding>,
}

#[derive(Deserialize)]
struct SavedPlan {
    #[serde(default)]
    source: Option<Source>,
    credentials: Vec<Credential>,
}

/// What kind of saved result a text is, from its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedKind {
    Scan,
    Plan,
}

/// Whether `path` should be read as a saved result rather than scanned: a `.json` file, or a
/// `.sarif` one (refused with a clear error: scanning a SARIF log as source would report on
/// the log).
pub fn is_saved(path: &Path) -> bool {
    path.is_file()
        && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("sarif"))
}

pub fn read(path: &Path) -> Result<Repository, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    Ok(parse(path, text)?)
}

pub fn parse(path: &Path, text: String) -> Result<Repository, Box<SavedError>> {
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| error(path, &text, &e, "not valid JSON"))?;
    if let Some(message) = super::foreign::describe(&value) {
        return Err(Box::new(SavedError {
            path: path.to_path_buf(),
            message,
            span: SourceSpan::from((0, text.find('{').map(|_| 1).unwrap_or(0))),
            label: "this document".into(),
            src: NamedSource::new(path.display().to_string(), text),
        }));
    }
    let kind = match (value.get("findings"), value.get("credentials")) {
        (Some(_), None) => SavedKind::Scan,
        (None, Some(_)) => SavedKind::Plan,
        _ => {
            return Err(Box::new(SavedError {
                path: path.to_path_buf(),
                message: "not a saved scopesmith result: expected a `findings` (scan) or a `credentials` (plan) list"
                    .into(),
                span: SourceSpan::from((0, text.find('{').map(|_| 1).unwrap_or(0))),
                label: "this document".into(),
                src: NamedSource::new(path.display().to_string(), text),
            }))
        }
    };
    let file = path.display().to_string();
    // Parsed again from the text (not the Value) so that shape errors keep their line/column.
    let (source, findings, credentials) = match kind {
        SavedKind::Scan => {
            let s: SavedScan =
                serde_json::from_str(&text).map_err(|e| error(path, &text, &e, "not a valid saved scan"))?;
            (s.source, Some(s.findings), None)
        }
        SavedKind::Plan => {
            let p: SavedPlan =
                serde_json::from_str(&text).map_err(|e| error(path, &text, &e, "not a valid saved plan"))?;
            (p.source, None, Some(p.credentials))
        }
    };
    Ok(Repository {
        name: source.as_ref().map(|s| s.repository.clone()).unwrap_or_else(|| file.clone()),
        commit: source.as_ref().and_then(|s| s.commit.clone()),
        stamped: source.is_some(),
        inputs: vec![file],
        findings,
        credentials,
    })
}

/// Saved results of the same stamped repository and commit (a scan and a plan) become one.
pub fn merge(repos: Vec<Repository>) -> Vec<Repository> {
    let mut out: Vec<Repository> = Vec::new();
    for r in repos {
        let twin = out.iter_mut().find(|o| {
            o.stamped
                && r.stamped
                && o.name == r.name
                && o.commit == r.commit
                && (o.findings.is_none() != r.findings.is_none())
                && (o.credentials.is_none() != r.credentials.is_none())
        });
        match twin {
            Some(o) => {
                o.inputs.extend(r.inputs);
                o.findings = o.findings.take().or(r.findings);
                o.credentials = o.credentials.take().or(r.credentials);
            }
            None => out.push(r),
        }
    }
    out
}

fn error(path: &Path, text: &str, e: &serde_json::Error, what: &str) -> Box<SavedError> {
    let offset = crate::error::offset_of(text, e.line(), e.column());
    let message = e.to_string();
    let label = message.split(" at line ").next().unwrap_or(&message).to_string();
    Box::new(SavedError {
        path: path.to_path_buf(),
        message: format!("{what}: {message}"),
        src: NamedSource::new(path.display().to_string(), text.to_string()),
        span: SourceSpan::from((offset, 0)),
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_and_plan_are_told_apart_by_content() {
        let scan = r#"{"source": {"repository": "acme/api", "commit": "0123456789ab"}, "findings": []}"#;
        let r = parse(Path::new("a.json"), scan.into()).unwrap();
        assert_eq!((r.name.as_str(), r.findings.is_some(), r.credentials.is_none()), ("acme/api", true, true));
        let plan = r#"{"credentials": []}"#;
        let r = parse(Path::new("b.json"), plan.into()).unwrap();
        assert_eq!((r.name.as_str(), r.stamped, r.credentials.is_some()), ("b.json", false, true));
    }

    #[test]
    fn malformed_json_points_at_line_and_column() {
        let text = "{\n  \"findings\": [\n    {\"rule\": 3}\n  ]\n}\n".to_string();
        let err = parse(Path::new("r.json"), text.clone()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("r.json") && msg.contains("line 3"), "{msg}");
        assert!(err.span.offset() > text.find("findings").unwrap());
        let err = parse(Path::new("t.json"), "{\"findings\": [,]}".into()).unwrap_err();
        assert!(err.to_string().contains("not valid JSON") && err.to_string().contains("column"), "{err}");
        let err = parse(Path::new("u.json"), "{\"rules\": []}".into()).unwrap_err();
        assert!(err.to_string().contains("not a saved scopesmith result"), "{err}");
    }

    #[test]
    fn a_scan_and_a_plan_of_one_commit_merge() {
        let scan = r#"{"source": {"repository": "acme/api", "commit": "0123456789ab"}, "findings": []}"#;
        let plan = r#"{"source": {"repository": "acme/api", "commit": "0123456789ab"}, "credentials": []}"#;
        let a = parse(Path::new("a.json"), scan.into()).unwrap();
        let b = parse(Path::new("b.json"), plan.into()).unwrap();
        let m = merge(vec![a, b]);
        assert_eq!(m.len(), 1);
        assert!(m[0].findings.is_some() && m[0].credentials.is_some());
        assert_eq!(m[0].inputs, ["a.json", "b.json"]);
    }
}
