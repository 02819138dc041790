//! What `fix` rewrites, as data: the `rewrite:` sections of tool profiles (`rules/tools/`) and
//! of SDK rewrite files next to the SDK maps (`rules/sdk/<sdk>.rewrite.yaml`; some maps are
//! generated), and the token names of key variables no tool claims (`rules/token-names.yaml`).
//! Each line rewrite is a small regex with the file kinds it applies to; the loader compiles
//! every one, checks its replacement's groups and runs its example, so a bad row is a spanned
//! error when the rules load, never a surprise in `fix`.
//!
//! ```yaml
//! rewrite:
//!   rename: {CF_Key: CF_Token}        # key variable or setting -> the tool's token name
//!   remove: [CF_Email]                # settings the tool prefers over a token while set
//!   manual: "..."                     # the tool cannot be patched: what to do instead
//!   note: "..."                       # shown once with a migrated site of this tool
//!   lines:                            # line rewrites; the first row that matches a line wins
//!     - files: [terraform]            # file kinds (see `Lang`)
//!       pattern: '^(\s*)api_key(\s*=)'
//!       replace: '${1}api_token${2}'  # leave out to delete the line (an e-mail argument)
//!       example: {line: '  api_key = var.k', becomes: '  api_token = var.k'}
//! ```
//!
//! A user's profile (`--rules DIR`) with a built-in tool's or SDK's name replaces its rewrites
//! with the rest of the profile; a user's `token_names` entries are added to the built-in ones.

use std::collections::BTreeMap;

use miette::SourceSpan;
use regex::Regex;
use serde::Deserialize;

use super::load::{RuleError, RuleSource};

/// The kind of a file, from its name; decides how an expression is written and which line
/// rewrites apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Shell,
    Python,
    Js,
    Go,
    Php,
    Ruby,
    Rust,
    Jvm,
    CSharp,
    Yaml,
    Terraform,
    TfVars,
    /// Files that hold values only: dotenv, INI, JSON, conf.
    Data,
    Docker,
}

/// A tool's `rewrite:` section as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolRewriteSpec {
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub manual: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub lines: Vec<LineSpec>,
}

/// `rules/sdk/<sdk>.rewrite.yaml`: kept apart from the SDK map, which `catalog generate`
/// writes for some SDKs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkRewriteFile {
    pub sdk: String,
    pub rewrite: SdkRewriteSpec,
}

/// An SDK's `rewrite:` section: only line rewrites (constructor arguments).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkRewriteSpec {
    #[serde(default)]
    pub lines: Vec<LineSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineSpec {
    pub files: Vec<Lang>,
    pub pattern: String,
    /// Absent: the line is deleted.
    #[serde(default)]
    pub replace: Option<String>,
    pub example: Option<ExampleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSpec {
    pub line: String,
    /// Absent: the row deletes the line.
    #[serde(default)]
    pub becomes: Option<String>,
}

/// `rules/token-names.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenNamesFile {
    pub token_names: TokenNamesSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenNamesSpec {
    /// Documented token names of key variables and settings.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Else the last `from` in an identifier-shaped name becomes `to`, first pair that occurs.
    #[serde(default)]
    pub suffixes: Vec<SuffixSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuffixSpec {
    pub from: String,
    pub to: String,
}

/// What becomes of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineFix {
    Keep,
    Replace(String),
    Remove,
}

/// One compiled line rewrite.
#[derive(Debug, Clone)]
pub struct LineRow {
    langs: Vec<Lang>,
    re: Regex,
    replace: Option<String>,
}

impl LineRow {
    fn apply(&self, line: &str) -> LineFix {
        match &self.replace {
            None => LineFix::Remove,
            Some(r) => LineFix::Replace(self.re.replace(line, r.as_str()).into_owned()),
        }
    }
}

/// A tool's rewrites, checked.
#[derive(Debug, Clone, Default)]
pub struct ToolRewrite {
    pub rename: BTreeMap<String, String>,
    pub remove: Vec<String>,
    pub manual: Option<String>,
    pub note: Option<String>,
    lines: Vec<LineRow>,
}

/// Every rewrite `fix` knows, from the loaded rules.
#[derive(Debug, Clone, Default)]
pub struct Rewrites {
    /// By tool name.
    pub tools: BTreeMap<String, ToolRewrite>,
    /// SDK constructor rows by SDK name.
    sdks: BTreeMap<String, Vec<LineRow>>,
    names: BTreeMap<String, String>,
    suffixes: Vec<(String, String)>,
}

impl Rewrites {
    /// Checks and adds one tool's section (a later one of the same name replaces it).
    pub fn add_tool(&mut self, source: &RuleSource, tool: &str, spec: ToolRewriteSpec, errors: &mut Vec<RuleError>) {
        let lines = rows(source, spec.lines, errors);
        for (old, new) in &spec.rename {
            if old == new || new.is_empty() {
                errors.push(source.error_at(
                    Some(tool),
                    "rename",
                    format!("`{old}` is renamed to `{new}`"),
                    Some("map each key name to the tool's token name".into()),
                ));
            }
        }
        let t = ToolRewrite { rename: spec.rename, remove: spec.remove, manual: spec.manual, note: spec.note, lines };
        self.tools.insert(tool.to_string(), t);
    }

    pub fn add_sdk(&mut self, source: &RuleSource, sdk: &str, spec: SdkRewriteSpec, errors: &mut Vec<RuleError>) {
        let lines = rows(source, spec.lines, errors);
        self.sdks.insert(sdk.to_string(), lines);
    }

    pub fn add_names(&mut self, source: &RuleSource, spec: TokenNamesSpec, errors: &mut Vec<RuleError>) {
        for s in &spec.suffixes {
            if s.from.is_empty() || s.to.is_empty() {
                errors.push(source.error_at(None, "suffixes", "a suffix pair needs both `from` and `to`", None));
            }
        }
        self.names.extend(spec.rename);
        if !spec.suffixes.is_empty() {
            self.suffixes = spec.suffixes.into_iter().map(|s| (s.from, s.to)).collect();
        }
    }

    pub fn of(&self, tool: &str) -> Option<&ToolRewrite> {
        self.tools.get(tool)
    }

    /// Every name some tool says to remove with the key (e-mail settings and their aliases).
    pub fn removed_names(&self) -> impl Iterator<Item = &str> {
        self.tools.values().flat_map(|r| r.remove.iter().map(String::as_str))
    }

    /// The token-side name of a key variable no tool renames: the documented names, else the
    /// last `KEY` (per `suffixes`) in an identifier-shaped name.
    pub fn token_name(&self, old: &str) -> Option<String> {
        if let Some(new) = self.names.get(old) {
            return Some(new.clone());
        }
        if old.is_empty()
            || !old.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || old.as_bytes()[0].is_ascii_digit()
        {
            return None;
        }
        for (k, t) in &self.suffixes {
            if let Some(i) = old.rfind(k.as_str()) {
                return Some(format!("{}{t}{}", &old[..i], &old[i + k.len()..]));
            }
        }
        None
    }

    /// A tool setting renamed in place (every tool's rows, in tool-name order).
    pub fn setting_line(&self, lang: Lang, line: &str) -> LineFix {
        first_match(self.tools.values().flat_map(|t| t.lines.iter()), lang, line)
    }

    /// An SDK constructor argument or one-line call (every SDK's rows, in SDK-name order).
    pub fn sdk_line(&self, lang: Lang, line: &str) -> LineFix {
        first_match(self.sdks.values().flatten(), lang, line)
    }
}

fn first_match<'a>(rows: impl Iterator<Item = &'a LineRow>, lang: Lang, line: &str) -> LineFix {
    rows.filter(|r| r.langs.contains(&lang))
        .find(|r| r.re.is_match(line))
        .map(|r| r.apply(line))
        .unwrap_or(LineFix::Keep)
}

/// Compiles and checks rows, each error at the row's own line.
fn rows(source: &RuleSource, specs: Vec<LineSpec>, errors: &mut Vec<RuleError>) -> Vec<LineRow> {
    let mut out = Vec::new();
    for (n, spec) in specs.into_iter().enumerate() {
        let at = row_span(&source.text, n);
        let mut bad = |message: String, help: &str| {
            errors.push(source.error_span(at, "pattern", message, Some(help.to_string())));
        };
        if spec.files.is_empty() {
            bad(
                format!("line rewrite {} lists no file kinds", n + 1),
                "name the file kinds it applies to: `files: [yaml]`",
            );
            continue;
        }
        let re = match Regex::new(&spec.pattern) {
            Ok(re) => re,
            Err(e) => {
                bad(
                    format!("line rewrite {}: the pattern is not a valid regex: {e}", n + 1),
                    "write a Rust regex (https://docs.rs/regex); quote it with '...' in YAML",
                );
                continue;
            }
        };
        if let Some(r) = &spec.replace {
            if let Some(group) = missing_group(&re, r) {
                bad(
                    format!(
                        "line rewrite {}: the replacement uses `${{{group}}}`, which the pattern does not capture",
                        n + 1
                    ),
                    "refer only to the pattern's groups, written `${1}` or `${name}`",
                );
                continue;
            }
        }
        let row = LineRow { langs: spec.files, re, replace: spec.replace };
        if let Some(ex) = &spec.example {
            let got = if row.re.is_match(&ex.line) { Some(row.apply(&ex.line)) } else { None };
            let want = match &ex.becomes {
                Some(b) => LineFix::Replace(b.clone()),
                None => LineFix::Remove,
            };
            if got.as_ref() != Some(&want) {
                let got = match got {
                    None => "does not match it".to_string(),
                    Some(LineFix::Replace(s)) => format!("gives `{s}`"),
                    Some(_) => "deletes it".to_string(),
                };
                bad(
                    format!("line rewrite {}: its example `{}` fails: the row {got}", n + 1, ex.line),
                    "fix the pattern or the example's `becomes` (leave `becomes` out for a row that deletes the line)",
                );
                continue;
            }
        }
        out.push(row);
    }
    out
}

/// A `$name`/`${name}` group the replacement uses that the pattern lacks.
fn missing_group(re: &Regex, replace: &str) -> Option<String> {
    let refs = Regex::new(r"\$(?:\{([A-Za-z0-9_]+)\}|([0-9]+|[A-Za-z_][A-Za-z0-9_]*))").expect("group reference");
    let names: Vec<&str> = re.capture_names().flatten().collect();
    for c in refs.captures_iter(&replace.replace("$$", "")) {
        let g = c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()).unwrap_or("");
        let ok = match g.parse::<usize>() {
            Ok(i) => i < re.captures_len(),
            Err(_) => names.contains(&g),
        };
        if !ok {
            return Some(g.to_string());
        }
    }
    None
}

/// The `n`th row's `pattern:` value below `rewrite:` (rows are in order, one pattern each).
fn row_span(text: &str, n: usize) -> SourceSpan {
    let start = text.find("\nrewrite:").map(|i| i + 1).or_else(|| text.starts_with("rewrite:").then_some(0));
    let Some(start) = start else { return SourceSpan::from((0, 0)) };
    let mut from = start;
    for _ in 0..=n {
        match text[from..].find("pattern:") {
            Some(i) => from += i + "pattern:".len(),
            None => return SourceSpan::from((start, "rewrite:".len())),
        }
    }
    let rest = &text[from..];
    let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let len = rest[lead..].find(['\n', '\r']).unwrap_or(rest.len() - lead);
    SourceSpan::from((from + lead, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> RuleSource {
        RuleSource { name: "t.yaml".into(), text: text.into() }
    }

    fn spec(pattern: &str, replace: Option<&str>, example: Option<(&str, Option<&str>)>) -> LineSpec {
        LineSpec {
            files: vec![Lang::Yaml],
            pattern: pattern.into(),
            replace: replace.map(str::to_string),
            example: example.map(|(l, b)| ExampleSpec { line: l.into(), becomes: b.map(str::to_string) }),
        }
    }

    #[test]
    fn bad_rows_are_errors_at_their_own_line() {
        let text = "tool: t\nrewrite:\n  lines:\n    - files: [yaml]\n      pattern: 'a'\n    - files: [yaml]\n      pattern: '(b'\n";
        let mut errors = Vec::new();
        let kept = rows(&source(text), vec![spec("a", Some("x"), None), spec("(b", Some("x"), None)], &mut errors);
        assert_eq!(kept.len(), 1);
        assert_eq!(errors.len(), 1);
        let span = row_span(text, 1);
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "'(b'");
        let mut errors = Vec::new();
        rows(&source(text), vec![spec("^(k):", Some("${2}"), None)], &mut errors);
        assert!(errors[0].to_string().contains("${2}"), "{}", errors[0]);
        let mut errors = Vec::new();
        rows(&source(text), vec![spec("^(\\s*)k:", Some("${1}t:"), Some((" k: v", Some(" k: v"))))], &mut errors);
        assert!(errors[0].to_string().contains("gives ` t: v`"), "{}", errors[0]);
    }

    #[test]
    fn rows_rewrite_or_delete() {
        let mut errors = Vec::new();
        let mut r = Rewrites::default();
        r.sdks.insert(
            "s".into(),
            rows(
                &source(""),
                vec![
                    spec(
                        "^(\\s*)apiKey(\\s*:)",
                        Some("${1}apiToken${2}"),
                        Some(("  apiKey: x", Some("  apiToken: x"))),
                    ),
                    spec("^\\s*email\\s*:", None, Some(("  email: e", None))),
                ],
                &mut errors,
            ),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.sdk_line(Lang::Yaml, " apiKey: k"), LineFix::Replace(" apiToken: k".into()));
        assert_eq!(r.sdk_line(Lang::Yaml, " email: k"), LineFix::Remove);
        assert_eq!(r.sdk_line(Lang::Js, " email: k"), LineFix::Keep);
        r.suffixes = vec![("KEY".into(), "TOKEN".into()), ("Key".into(), "Token".into())];
        r.names.insert("CF_GLOBAL_KEY".into(), "CF_API_TOKEN".into());
        assert_eq!(r.token_name("CF_GLOBAL_KEY").as_deref(), Some("CF_API_TOKEN"));
        assert_eq!(r.token_name("CF_DDNS_KEY").as_deref(), Some("CF_DDNS_TOKEN"));
        assert_eq!(r.token_name("SAVED_CF_Key").as_deref(), Some("SAVED_CF_Token"));
        assert_eq!(r.token_name("X-Auth-Key"), None);
    }
}
