//! Reads rule files (embedded and the user's), checks them and compiles them.
//!
//! Every problem in every file is collected before giving up, each pointing at its file, line
//! and field, so a user fixing a rule directory sees the whole list at once.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::de::DeserializeOwned;
use thiserror::Error;

use super::model::{CatalogFile, DetectFile, GraphqlFile, PermissionGroupsFile, SdkFile, ToolFile};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// One problem in one rule file.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(scopesmith::rules::invalid))]
pub struct RuleError {
    message: String,
    #[help]
    help: Option<String>,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

/// Everything wrong with a set of rule files.
#[derive(Debug, Error, Diagnostic)]
#[error("{} problem{} in rule files", .errors.len(), if .errors.len() == 1 { "" } else { "s" })]
#[diagnostic(
    code(scopesmith::rules::invalid),
    help("fix the files named below; `scopesmith rules check FILE` checks one file")
)]
pub struct RuleErrors {
    #[related]
    pub errors: Vec<RuleError>,
}

/// A rule file's text and where it came from.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// `builtin:detect/headers.yaml` or the user's path.
    pub name: String,
    pub text: String,
}

impl RuleSource {
    /// An error about `field` of the entry whose `id`/`name`/`method` is `anchor`.
    pub fn error_at(
        &self,
        anchor: Option<&str>,
        field: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) -> RuleError {
        self.error_span(locate(&self.text, anchor, field), field, message, help)
    }

    /// An error at a known span (a row of a list the anchor search cannot tell apart).
    pub fn error_span(
        &self,
        span: SourceSpan,
        field: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) -> RuleError {
        RuleError {
            message: format!("{}: {}", self.name, message.into()),
            help,
            src: NamedSource::new(&self.name, self.text.clone()),
            span,
            label: format!("in `{field}`"),
        }
    }

    /// Refuses a file nested too deep for the YAML parser to be given it.
    fn check_depth(&self) -> Result<(), RuleError> {
        let Some(at) = crate::limits::yaml_too_deep(&self.text) else { return Ok(()) };
        Err(RuleError {
            message: format!(
                "{}: nested more than {} levels deep; not parsed",
                self.name,
                crate::limits::MAX_YAML_DEPTH
            ),
            help: Some("rule files nest a few levels; check the brackets".into()),
            src: NamedSource::new(&self.name, self.text.clone()),
            span: SourceSpan::from((at, 1)),
            label: "too deep".into(),
        })
    }

    fn yaml_error(&self, err: &serde_norway::Error) -> RuleError {
        let offset = err.location().map(|l| l.index()).unwrap_or(0).min(self.text.len());
        let message = err.to_string();
        // serde's message already says where; keep only its first sentence for the label.
        let label = message.split(" at line ").next().unwrap_or(&message).to_string();
        RuleError {
            message: format!("{}: {message}", self.name),
            help: Some("see rules/README.md for the shape of each rule file".into()),
            src: NamedSource::new(&self.name, self.text.clone()),
            span: SourceSpan::from((offset, 0)),
            label,
        }
    }
}

/// The kinds of rule file, told apart by their top-level key.
#[derive(Debug)]
pub enum RuleFile {
    Detect(DetectFile),
    Catalog(CatalogFile),
    PermissionGroups(PermissionGroupsFile),
    Sdk(SdkFile),
    Tool(ToolFile),
    Graphql(GraphqlFile),
    TokenNames(super::rewrite::TokenNamesFile),
    SdkRewrite(super::rewrite::SdkRewriteFile),
}

impl RuleFile {
    pub fn parse(source: &RuleSource) -> Result<RuleFile, RuleError> {
        source.check_depth()?;
        // The kind is told by the top-level keys, read off the lines that start at column 0 (one
        // parse instead of two: parsing every built-in file twice was half of a scan's start-up).
        // A file written another way (flow style, a quoted key) is parsed as a value to find them.
        let keys = keys_of(source)?;
        let has = |key: &str| keys.iter().any(|k| k == key);
        fn typed<T: DeserializeOwned>(source: &RuleSource) -> Result<T, RuleError> {
            serde_norway::from_str(&source.text).map_err(|e| source.yaml_error(&e))
        }
        if has("rules") {
            typed(source).map(RuleFile::Detect)
        } else if has("operations") {
            typed(source).map(RuleFile::Catalog)
        } else if has("groups") {
            typed(source).map(RuleFile::PermissionGroups)
        } else if has("calls") {
            typed(source).map(RuleFile::Sdk)
        } else if has("sdk") && has("rewrite") {
            typed(source).map(RuleFile::SdkRewrite)
        } else if has("tool") {
            typed(source).map(RuleFile::Tool)
        } else if has("datasets") {
            typed(source).map(RuleFile::Graphql)
        } else if has("token_names") {
            typed(source).map(RuleFile::TokenNames)
        } else {
            Err(RuleError {
                message: format!("{}: not a scopesmith rule file", source.name),
                help: Some(
                    "a rule file has a top-level `rules` (detection), `operations` (catalog), \
                     `groups` (permission groups), `calls` (SDK map), `sdk` + `rewrite` (SDK rewrites), `tool` (tool profile), `datasets` (GraphQL) or `token_names` (fix's token names) key"
                        .into(),
                ),
                src: NamedSource::new(&source.name, source.text.clone()),
                span: SourceSpan::from((0, 0)),
                label: "expected a known top-level key".into(),
            })
        }
    }
}

/// The keys of a block-style top-level mapping, or `None` when the file is not plainly one
/// (then the caller parses it to find out).
fn top_level_keys(text: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let first = line.bytes().next();
        match first {
            None | Some(b' ' | b'\t' | b'#') => continue,
            Some(b'-') if line.starts_with("---") => continue,
            // A block sequence written at column 0 belongs to the key above it.
            Some(b'-') if !keys.is_empty() && (line == "-" || line.starts_with("- ")) => continue,
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let key = line.split_once(':').map(|(k, _)| k)?;
                if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    return None;
                }
                keys.push(key.to_string());
            }
            _ => return None,
        }
    }
    (!keys.is_empty()).then_some(keys)
}

/// A rule file's top-level keys: read off its lines when it is plainly written, else parsed.
fn keys_of(source: &RuleSource) -> Result<Vec<String>, RuleError> {
    if let Some(keys) = top_level_keys(&source.text) {
        return Ok(keys);
    }
    source.check_depth()?;
    let value: serde_norway::Value = serde_norway::from_str(&source.text).map_err(|e| source.yaml_error(&e))?;
    Ok(value
        .as_mapping()
        .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default())
}

/// Whether a file holds detection rules (top-level `rules`), the first kind
/// [`RuleFile::parse`] tells.
pub(crate) fn is_detect_file(source: &RuleSource) -> bool {
    keys_of(source).is_ok_and(|keys| keys.iter().any(|k| k == "rules"))
}

/// The built-in rule files, in a stable order.
pub fn builtin_sources() -> Vec<RuleSource> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The built-in detection rule files (the ones [`is_detect_file`] tells apart, all kept in
/// `detect/`), found by folder: the other few megabytes of embedded YAML are not even looked
/// at by a command that only detects.
pub fn builtin_detect_sources() -> Vec<RuleSource> {
    let mut out = Vec::new();
    if let Some(dir) = BUILTIN.get_dir("detect") {
        collect_embedded(dir, &mut out);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<RuleSource>) {
    for file in dir.files() {
        if is_rule_file(file.path()) {
            out.push(RuleSource {
                name: format!("builtin:{}", file.path().display()),
                text: String::from_utf8_lossy(file.contents()).into_owned(),
            });
        }
    }
    for sub in dir.dirs() {
        // `targets/` holds template, escalation and OAuth tables, read by `policy::targets`.
        if sub.path() == Path::new("targets") {
            continue;
        }
        collect_embedded(sub, out);
    }
}

fn is_rule_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// A file or directory (recursively) of the user's rule files.
pub fn user_sources(path: &Path) -> Result<Vec<RuleSource>, crate::Error> {
    let mut files: Vec<PathBuf> = Vec::new();
    if path.is_dir() {
        // Links are not followed: a rule directory must not pull in files from elsewhere.
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry = entry.map_err(|e| crate::Error::io(path, e.into()))?;
            if entry.file_type().is_file() && is_rule_file(entry.path()) {
                files.push(entry.into_path());
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).map_err(|e| crate::Error::io(&f, e))?;
            let text = String::from_utf8(bytes).map_err(|_| crate::Error::Usage {
                message: format!("rule file {} is not valid UTF-8", f.display()),
                help: "save the file as UTF-8".into(),
            })?;
            Ok(RuleSource { name: f.display().to_string(), text })
        })
        .collect()
}

/// The span of `field`'s value in the entry anchored by `anchor` (an `id:`/`name:`/`method:`
/// value), falling back to the anchor's line, then the file start.
fn locate(text: &str, anchor: Option<&str>, field: &str) -> SourceSpan {
    let mut start = 0;
    if let Some(anchor) = anchor {
        for key in ["id", "name", "method", "tool", "sdk", "family"] {
            if let Some(pos) = find_key_value(text, 0, key, anchor) {
                start = pos;
                break;
            }
        }
    }
    // The field within the same entry: the first `field:` after the anchor line.
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(rest) = trimmed.strip_prefix(field) {
            if rest.trim_start().starts_with(':') {
                let value_at = line.find(':').map(|i| i + 1).unwrap_or(0);
                let value = line[value_at..].trim_end_matches(['\n', '\r']);
                let lead = value.len() - value.trim_start().len();
                return SourceSpan::from((offset + value_at + lead, value.trim().len()));
            }
        }
        offset += line.len();
    }
    let line_len = text[start..].find('\n').unwrap_or(text.len() - start);
    SourceSpan::from((start, line_len))
}

fn find_key_value(text: &str, from: usize, key: &str, value: &str) -> Option<usize> {
    let mut offset = from;
    for line in text[from..].split_inclusive('\n') {
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(rest) = trimmed.strip_prefix(key) {
            if let Some(v) = rest.trim_start().strip_prefix(':') {
                let v = v.trim().trim_matches(['"', '\'']);
                if v == value {
                    return Some(offset);
                }
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detect_folder_holds_exactly_the_built_in_detection_files() {
        let by_content: Vec<String> = builtin_sources().into_iter().filter(is_detect_file).map(|s| s.name).collect();
        let by_folder: Vec<String> = builtin_detect_sources().into_iter().map(|s| s.name).collect();
        assert!(!by_folder.is_empty());
        assert_eq!(by_folder, by_content);
    }

    #[test]
    fn locate_points_at_the_field_of_the_anchored_entry() {
        let text = "rules:\n  - id: a\n    pattern: 'x'\n  - id: b\n    pattern: '(bad'\n";
        let span = locate(text, Some("b"), "pattern");
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "'(bad'");
    }

    #[test]
    fn top_level_keys_are_the_parsed_keys() {
        for source in builtin_sources() {
            let value: serde_norway::Value = serde_norway::from_str(&source.text).unwrap();
            let parsed: Vec<String> =
                value.as_mapping().unwrap().keys().map(|k| k.as_str().unwrap().to_string()).collect();
            assert_eq!(top_level_keys(&source.text), Some(parsed), "{}", source.name);
        }
        assert_eq!(top_level_keys("{rules: []}"), None, "flow style is parsed instead");
        assert_eq!(top_level_keys("\"rules\": []"), None, "so is a quoted key");
        assert_eq!(top_level_keys("# c\n---\nrules:\n  - id: x\n"), Some(vec!["rules".to_string()]));
        assert_eq!(
            top_level_keys("family: f\noperations:\n- id: x\n  y: 1\n"),
            Some(vec!["family".into(), "operations".into()])
        );
        assert_eq!(top_level_keys("- id: x\n"), None, "a top-level list is not a mapping");
    }

    #[test]
    fn a_file_too_deep_is_told_apart_without_parsing_it() {
        let deep = RuleSource { name: "deep.yaml".into(), text: "[".repeat(200_000) };
        let started = std::time::Instant::now();
        assert!(!is_detect_file(&deep));
        assert!(keys_of(&deep).is_err_and(|e| e.message.contains("levels deep")));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the parser was given it");
    }

    /// The built-in rules fire on their `match` examples and not on their `no_match` ones
    /// (checked here, since a run skips them).
    #[test]
    fn builtin_examples_hold() {
        assert!(super::super::compile::checks_examples(&builtin_sources()[0]), "unit tests check built-in examples");
        if let Err(e) = crate::rules::RuleSet::load(&[]) {
            panic!("{e:?}");
        }
    }

    #[test]
    fn every_builtin_file_parses() {
        for source in builtin_sources() {
            if source.name.ends_with("README.md") {
                continue;
            }
            if let Err(e) = RuleFile::parse(&source) {
                panic!("{}: {e}", source.name);
            }
        }
    }
}
