//! `.scopesmith.yaml` at the scan root: a project's standing CI settings.
//!
//! Reads and checks the file; `lib.rs` merges it under the command-line flags (a flag always
//! wins). Paths in the file are relative to the file. Unknown fields and bad values are
//! miette errors pointing at the file, line and field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use thiserror::Error;

use crate::finding::Severity;

pub const FILE_NAME: &str = ".scopesmith.yaml";

/// The serde shape of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ConfigSpec {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
    #[serde(default)]
    rules: Vec<PathBuf>,
    baseline: Option<PathBuf>,
    fail_on: Option<Severity>,
}

/// A checked config with its paths resolved against the file's directory.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub exclude: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub rules: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub fail_on: Option<Severity>,
    /// Where it came from, for errors found later (unknown rule ids).
    source: Option<(PathBuf, String)>,
}

#[derive(Debug, Error, Diagnostic)]
#[error("{}: {message}", path.display())]
#[diagnostic(code(scopesmith::config::invalid))]
pub struct ConfigError {
    path: PathBuf,
    message: String,
    #[help]
    help: Option<String>,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

const SHAPE_HELP: &str = "allowed keys: exclude (globs), severity ({rule-id: low|medium|high|critical}), \
                          rules (directories), baseline (file), fail-on (severity); see docs/ci.md";

impl Config {
    /// `.scopesmith.yaml` in `root` when it is a directory that has one.
    pub fn discover(root: &Path) -> Result<Option<Config>, crate::Error> {
        let path = root.join(FILE_NAME);
        if !root.is_dir() || !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| crate::Error::io(&path, e))?;
        Ok(Some(Self::parse(&path, text)?))
    }

    /// A config file the workflow chose (`--config FILE`): read whatever its name, paths in it
    /// relative to `root` (the file is often a copy of the base branch's, kept outside the
    /// tree), not held to the tree, because it does not come from the pull request.
    pub fn trusted(path: &Path, root: &Path) -> Result<Config, crate::Error> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
        Ok(Self::parse_with(path, text, root, false)?)
    }

    /// A `.scopesmith.yaml` found in the scanned tree: untrusted, its paths held inside the
    /// file's own folder.
    pub fn parse(path: &Path, text: String) -> Result<Config, Box<ConfigError>> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Self::parse_with(path, text, dir, true)
    }

    fn parse_with(path: &Path, text: String, dir: &Path, contain: bool) -> Result<Config, Box<ConfigError>> {
        if let Some(at) = crate::limits::yaml_too_deep(&text) {
            return Err(Box::new(ConfigError {
                path: path.to_path_buf(),
                message: format!("nested more than {} levels deep; not parsed", crate::limits::MAX_YAML_DEPTH),
                help: Some(SHAPE_HELP.into()),
                src: NamedSource::new(path.display().to_string(), text.clone()),
                span: SourceSpan::from((at, 1)),
                label: "too deep".into(),
            }));
        }
        let spec: ConfigSpec = if text.trim().is_empty() {
            ConfigSpec::default()
        } else {
            serde_norway::from_str(&text).map_err(|e| {
                let offset = e.location().map(|l| l.index()).unwrap_or(0).min(text.len());
                let message = e.to_string();
                let label = message.split(" at line ").next().unwrap_or(&message).to_string();
                Box::new(ConfigError {
                    path: path.to_path_buf(),
                    message,
                    help: Some(SHAPE_HELP.into()),
                    src: NamedSource::new(path.display().to_string(), text.clone()),
                    span: SourceSpan::from((offset, 0)),
                    label,
                })
            })?
        };
        // The file comes from the scanned tree, which may be a stranger's pull request: a path
        // it names must not reach outside that tree, or an error excerpt of it would print
        // whatever it names (`/proc/self/environ`, `~/.aws/credentials`) into the CI log.
        let inside = |field: &str, p: PathBuf| -> Result<PathBuf, Box<ConfigError>> {
            if !contain {
                return Ok(dir.join(p));
            }
            contained(dir, &p).map_err(|why| {
                let shown = p.display().to_string();
                let offset = text.find(&shown).unwrap_or(0);
                Box::new(ConfigError {
                    path: path.to_path_buf(),
                    message: format!("`{field}` path `{shown}` {why}"),
                    help: Some(format!(
                        "paths in {FILE_NAME} must be relative and stay inside the repository; \
                         pass other files with a command-line flag instead"
                    )),
                    src: NamedSource::new(path.display().to_string(), text.clone()),
                    span: SourceSpan::from((offset, if offset == 0 { 0 } else { shown.len() })),
                    label: "outside the repository".into(),
                })
            })
        };
        let rules = spec.rules.into_iter().map(|r| inside("rules", r)).collect::<Result<Vec<_>, _>>()?;
        let baseline = spec.baseline.map(|b| inside("baseline", b)).transpose()?;
        Ok(Config {
            exclude: spec.exclude,
            severity: spec.severity,
            rules,
            baseline,
            fail_on: spec.fail_on,
            source: Some((path.to_path_buf(), text)),
        })
    }

    /// A `baseline:` from the file must exist: the error points at the setting, so a wrong
    /// path is not mistaken for a wrong `--baseline` flag.
    pub fn check_baseline(&self) -> Result<(), Box<ConfigError>> {
        let (Some(baseline), Some((path, text))) = (&self.baseline, &self.source) else {
            return Ok(());
        };
        if baseline.is_file() {
            return Ok(());
        }
        let (offset, len) = value_span(text, "baseline");
        Err(Box::new(ConfigError {
            path: path.clone(),
            message: format!("`baseline:` names {}, which is not a file", baseline.display()),
            help: Some(format!(
                "fix the path (relative to {}) or write the baseline with `scopesmith scan --write-baseline {}`",
                path.display(),
                baseline.display()
            )),
            src: NamedSource::new(path.display().to_string(), text.clone()),
            span: SourceSpan::from((offset, len)),
            label: "no such file".into(),
        }))
    }

    /// Every `severity:` key must name a rule in effect.
    pub fn check_rules(&self, known: &[&str]) -> Result<(), Box<ConfigError>> {
        let Some(bad) = self.severity.keys().find(|id| !known.contains(&id.as_str())) else {
            return Ok(());
        };
        let (path, text) = self.source.clone().unwrap_or_default();
        let section = text.find("severity:").unwrap_or(0);
        let offset = text[section..].find(bad.as_str()).map(|i| section + i).unwrap_or(section);
        Err(Box::new(ConfigError {
            path,
            message: format!("severity override for unknown rule `{bad}`"),
            help: Some("use an id from `scopesmith rules list`".into()),
            src: NamedSource::new(self.source.as_ref().map(|s| s.0.display().to_string()).unwrap_or_default(), text),
            span: SourceSpan::from((offset, bad.len())),
            label: "not a rule id".into(),
        }))
    }
}

/// Byte span of a top-level `key: value`'s value (the whole text when the key is absent).
fn value_span(text: &str, key: &str) -> (usize, usize) {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            let value = rest.trim();
            let start = at + key.len() + 1 + (rest.len() - rest.trim_start().len());
            return (start, value.len());
        }
        at += line.len();
    }
    (0, 0)
}

/// `dir/rel` when it stays inside `dir`: relative, no `..`, no `~`, and (when it exists) no
/// link on the way that leads out.
fn contained(dir: &Path, rel: &Path) -> Result<PathBuf, &'static str> {
    use std::path::Component;
    if rel.to_string_lossy().starts_with('~') {
        return Err("starts with `~`");
    }
    if rel.components().any(|c| matches!(c, Component::RootDir | Component::Prefix(_))) {
        return Err("is absolute");
    }
    if rel.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err("climbs out with `..`");
    }
    let joined = dir.join(rel);
    if let (Ok(real), Ok(base)) = (joined.canonicalize(), dir.canonicalize()) {
        if !real.starts_with(&base) {
            return Err("is a link that leads outside the repository");
        }
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field_relative_to_the_file() {
        let text = "exclude: [\"fixtures/**\"]\nseverity: {global-key-env-var: low}\nrules: [ci-rules]\nbaseline: .scopesmith-baseline.json\nfail-on: high\n";
        let c = Config::parse(Path::new("repo/.scopesmith.yaml"), text.into()).unwrap();
        assert_eq!(c.exclude, ["fixtures/**"]);
        assert_eq!(c.severity["global-key-env-var"], Severity::Low);
        assert_eq!(c.rules, [PathBuf::from("repo/ci-rules")]);
        assert_eq!(c.baseline, Some(PathBuf::from("repo/.scopesmith-baseline.json")));
        assert_eq!(c.fail_on, Some(Severity::High));
        c.check_rules(&["global-key-env-var"]).unwrap();
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let text = "exclude: []\nfail_on: high\n";
        let err = Config::parse(Path::new(".scopesmith.yaml"), text.into()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(".scopesmith.yaml") && msg.contains("fail_on") && msg.contains("line 2"), "{msg}");
        assert_eq!(err.span.offset(), text.find("fail_on").unwrap());
    }

    #[test]
    fn bad_severity_and_unknown_rule_are_errors() {
        let err = Config::parse(Path::new("c.yaml"), "fail-on: severe\n".into()).unwrap_err();
        assert!(err.to_string().contains("severe"), "{err}");
        let c = Config::parse(Path::new("c.yaml"), "severity:\n  no-such-rule: low\n".into()).unwrap();
        let err = c.check_rules(&["a"]).unwrap_err();
        assert!(err.to_string().contains("no-such-rule"));
        assert_eq!(err.span.offset(), 12);
    }
}
