//! Checks one detection rule and compiles its regexes and globs.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexBuilder};

use super::load::{RuleError, RuleSource};
use super::model::DetectRuleSpec;
use crate::finding::{Kind, Role, Severity};

/// A user regex may not compile to more than this; a larger one is refused, not truncated.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Each rule regex keeps a lazy-DFA cache per thread; the default (2 MiB each) let a
/// scan's caches reach several MiB. A cache that fills is cleared and rebuilt: with ASCII
/// classes 32 KiB was as fast on the bench corpus (with Unicode `\w`, 64 KiB took twice the
/// time), so this leaves a margin.
const DFA_CACHE_LIMIT: usize = 64 << 10;
/// Named groups the engine understands.
const GROUPS: [&str; 3] = ["cred", "value", "secret"];

/// `value`, `value2`, … : Rust regexes forbid a name twice, alternations need the variants.
pub fn group_base(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit())
}

#[derive(Debug, Clone)]
pub enum Matcher {
    /// Matched against each candidate line (plus `window` lines after it).
    Line(Regex),
    /// Matched against the `syn` tree of a Rust file.
    Rust { string: Option<Regex>, path: Option<Regex> },
}

#[derive(Debug, Clone)]
pub struct DetectRule {
    pub id: String,
    pub kind: Kind,
    pub severity: Severity,
    pub role: Role,
    pub summary: String,
    pub why: String,
    pub fix: String,
    pub files: Option<GlobSet>,
    pub skip_files: Option<GlobSet>,
    pub file_globs: Vec<String>,
    /// Lowercase; a file must contain one (ASCII case-insensitively) for the rule to run.
    pub keywords: Vec<String>,
    pub matcher: Matcher,
    pub unless: Option<Regex>,
    pub context: Option<Regex>,
    pub not_context: Option<Regex>,
    /// A less-indented line above the match (its block or section) must match this.
    pub ancestor: Option<Regex>,
    /// Match the whole file once a keyword occurs, not only the keyword's lines.
    pub all_lines: bool,
    pub window: usize,
    pub tool: Option<String>,
    pub tool_hints: Vec<(Regex, String)>,
    pub sdk: Option<String>,
    pub credential: Option<String>,
    /// The file it came from, for messages.
    pub origin: String,
}

impl DetectRule {
    pub fn applies_to(&self, file_name: &str) -> bool {
        self.files.as_ref().is_none_or(|g| g.is_match(file_name))
            && !self.skip_files.as_ref().is_some_and(|g| g.is_match(file_name))
    }
}

pub fn compile(spec: DetectRuleSpec, source: &RuleSource) -> Result<DetectRule, Vec<RuleError>> {
    let mut errors = Vec::new();
    let id = spec.id.clone();
    let err = |field: &str, msg: String, help: Option<String>| source.error_at(Some(&id), field, msg, help);

    if !is_kebab(&spec.id) {
        errors.push(err(
            "id",
            format!("rule id `{}` is not kebab-case", spec.id),
            Some("use lowercase words joined by `-`, naming what is found, e.g. `x-auth-key-header`".into()),
        ));
    }
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.trim().len() < 3) {
        errors.push(err(
            "keywords",
            format!("rule `{id}` needs keywords of at least 3 characters"),
            Some("keywords are the cheap prefilter: a file without any of them is never matched".into()),
        ));
    }
    let regex = |field: &str, pattern: &str, errors: &mut Vec<RuleError>| -> Option<Regex> {
        match RegexBuilder::new(&crate::pattern::ascii_classes(pattern))
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(DFA_CACHE_LIMIT)
            .build()
        {
            Ok(r) => Some(r),
            Err(regex::Error::CompiledTooBig(limit)) => {
                errors.push(err(
                    field,
                    format!("the regex of rule `{id}` is too large (over {limit} bytes compiled)"),
                    Some("split it into several rules or simplify repetitions".into()),
                ));
                None
            }
            Err(e) => {
                errors.push(err(field, format!("invalid regex in rule `{id}`: {e}"), None));
                None
            }
        }
    };

    let matcher = match (&spec.pattern, &spec.rust) {
        (Some(p), None) => regex("pattern", p, &mut errors).map(|r| {
            for name in r.capture_names().flatten() {
                if !GROUPS.contains(&group_base(name)) {
                    errors.push(err(
                        "pattern",
                        format!("rule `{id}` has an unknown capture group `{name}`"),
                        Some("named groups may be `cred`, `value` or `secret`".into()),
                    ));
                }
            }
            Matcher::Line(r)
        }),
        (None, Some(rust)) if rust.string.is_some() || rust.path.is_some() => Some(Matcher::Rust {
            string: rust.string.as_deref().and_then(|p| regex("rust", p, &mut errors)),
            path: rust.path.as_deref().and_then(|p| regex("rust", p, &mut errors)),
        }),
        _ => {
            errors.push(err(
                "pattern",
                format!("rule `{id}` needs exactly one of `pattern` or `rust`"),
                Some("`rust` takes `string` and/or `path` regexes".into()),
            ));
            None
        }
    };
    let tool_hints: Vec<(Regex, String)> = spec
        .tool_hints
        .iter()
        .filter_map(|h| regex("tool_hints", &h.context, &mut errors).map(|r| (r, h.tool.clone())))
        .collect();
    let unless = spec.unless.as_deref().and_then(|p| regex("unless", p, &mut errors));
    let context = spec.context.as_deref().and_then(|p| regex("context", p, &mut errors));
    let not_context = spec.not_context.as_deref().and_then(|p| regex("not_context", p, &mut errors));
    let ancestor = spec.ancestor.as_deref().and_then(|p| regex("ancestor", p, &mut errors));

    let globs = |field: &str, list: &[String], errors: &mut Vec<RuleError>| -> Option<GlobSet> {
        if list.is_empty() {
            return None;
        }
        let mut builder = GlobSetBuilder::new();
        for g in list {
            match Glob::new(g) {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(e) => errors.push(err(field, format!("bad glob `{g}` in rule `{id}`: {e}"), None)),
            }
        }
        builder.build().ok()
    };
    let files = globs("files", &spec.files, &mut errors);
    let skip_files = globs("skip_files", &spec.skip_files, &mut errors);
    if spec.window > 20 {
        errors.push(err("window", format!("rule `{id}` has window {} (at most 20 lines)", spec.window), None));
    }

    let Some(matcher) = matcher else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let rule = DetectRule {
        id: spec.id,
        kind: spec.kind,
        severity: spec.severity,
        role: spec.role,
        summary: spec.summary,
        why: spec.why,
        fix: spec.fix,
        files,
        skip_files,
        file_globs: spec.files,
        keywords: spec.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
        matcher,
        unless,
        context,
        not_context,
        ancestor,
        all_lines: spec.all_lines,
        window: spec.window,
        tool: spec.tool,
        tool_hints,
        sdk: spec.sdk,
        credential: spec.credential,
        origin: source.name.clone(),
    };
    if let Some(examples) = spec.examples.filter(|_| checks_examples(source)) {
        check_examples(&rule, &examples, source, &mut errors);
    }
    if errors.is_empty() {
        Ok(rule)
    } else {
        Err(errors)
    }
}

/// A user's rule files have their examples checked on every load; the built-in ones are
/// checked by the crate's own tests (`builtin_examples_hold`), not again on every run, where
/// running them cost start-up time and a megabyte of regex caches.
pub(super) fn checks_examples(source: &RuleSource) -> bool {
    !source.name.starts_with("builtin:") || cfg!(test)
}

/// Each `match` example must fire the rule and each `no_match` must not: rules document and
/// test themselves.
fn check_examples(rule: &DetectRule, ex: &super::model::Examples, source: &RuleSource, errors: &mut Vec<RuleError>) {
    let Matcher::Line(re) = &rule.matcher else {
        return;
    };
    let fires = |line: &str| {
        let lower = line.to_ascii_lowercase();
        // A whole-file rule's keyword gates the file, not the line.
        (rule.all_lines || rule.keywords.iter().any(|k| lower.contains(k.as_str())))
            && re.is_match(line)
            && !rule.unless.as_ref().is_some_and(|u| u.is_match(line))
    };
    for m in &ex.matches {
        if !fires(m) {
            errors.push(source.error_at(
                Some(&rule.id),
                "examples",
                format!("rule `{}` does not fire on its own example `{m}`", rule.id),
                Some("an example must contain a keyword, match `pattern` and not match `unless`".into()),
            ));
        }
    }
    for m in &ex.no_match {
        if fires(m) {
            errors.push(source.error_at(
                Some(&rule.id),
                "examples",
                format!("rule `{}` fires on its `no_match` example `{m}`", rule.id),
                None,
            ));
        }
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
