//! Runs the detection rules over one file's text.
//!
//! Cheap first: one Aho–Corasick pass over the raw bytes finds every rule keyword; a file
//! with none costs that pass and nothing else. Only lines holding a rule's keyword are then
//! matched against that rule's regex (Rust files also go through `syn`, see `rust.rs`).
//! At most one finding per line and role (key, e-mail) survives: the strongest kind wins
//! (`Kind`'s order).

mod alias;
mod rust;

use std::collections::{BTreeMap, BTreeSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::credential::{self, Aliases};
use super::lines::Lines;
use crate::finding::{Finding, Kind, Severity};
use crate::rules::{DetectRule, Matcher};
use crate::secret::Secret;

/// The rules, with their keywords compiled into one automaton.
pub struct Detector<'r> {
    rules: &'r [DetectRule],
    prefilter: AhoCorasick,
    /// Keyword index -> rules that carry it.
    keyword_rules: Vec<Vec<usize>>,
}

/// A rule's match on one line, before the per-line merge.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub rule: usize,
    /// 0-based line of the match start, and of its end (multi-line SDK calls).
    pub line: usize,
    pub end_line: usize,
    /// Byte offset of the match start in the file.
    pub offset: usize,
    pub cred: Option<String>,
    pub value: Option<String>,
    pub secret: Option<String>,
}

impl<'r> Detector<'r> {
    pub fn new(rules: &'r [DetectRule]) -> Detector<'r> {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for k in &rule.keywords {
                match keywords.iter().position(|x| x == k) {
                    Some(pos) => keyword_rules[pos].push(i),
                    None => {
                        keywords.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let prefilter = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .expect("keywords are plain strings; the automaton always builds");
        Detector { rules, prefilter, keyword_rules }
    }

    /// Which rules may fire, and on which lines: `None` when no keyword occurs at all.
    pub fn candidates(&self, bytes: &[u8], file_name: &str) -> Option<BTreeMap<usize, Vec<usize>>> {
        let mut offsets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for m in self.prefilter.find_overlapping_iter(bytes) {
            for &rule in &self.keyword_rules[m.pattern().as_usize()] {
                offsets.entry(rule).or_default().push(m.start());
            }
        }
        if offsets.is_empty() {
            return None;
        }
        offsets.retain(|&rule, _| self.rules[rule].applies_to(file_name));
        (!offsets.is_empty()).then_some(offsets)
    }

    /// All findings in one file's text. `candidates` come from [`Detector::candidates`] on the
    /// same text.
    pub fn detect(&self, path: &str, text: &str, candidates: BTreeMap<usize, Vec<usize>>) -> Vec<Finding> {
        let lines = Lines::new(text);
        let mut hits = Vec::new();
        let mut rust_rules = Vec::new();
        for (rule_idx, offsets) in candidates {
            let rule = &self.rules[rule_idx];
            if rule.context.as_ref().is_some_and(|c| !c.is_match(text))
                || rule.not_context.as_ref().is_some_and(|c| c.is_match(text))
            {
                continue;
            }
            match &rule.matcher {
                Matcher::Line(re) if rule.all_lines => {
                    for caps in re.captures_iter(text) {
                        if let Some(hit) = hit_from(rule_idx, rule, &caps, 0, text, &lines) {
                            hits.push(hit);
                        }
                    }
                }
                Matcher::Line(re) => {
                    let line_set: BTreeSet<usize> = offsets.iter().map(|&o| lines.line_of(o)).collect();
                    for line in line_set {
                        if let Some(hit) = match_line(rule_idx, rule, re, text, &lines, line) {
                            hits.push(hit);
                        }
                    }
                }
                Matcher::Rust { .. } => rust_rules.push(rule_idx),
            }
        }
        if !rust_rules.is_empty() && path.ends_with(".rs") {
            hits.extend(rust::detect(self.rules, &rust_rules, text, &lines));
        }
        hits.extend(alias::hits(self.rules, path, text, &lines));
        if hits.is_empty() {
            return Vec::new();
        }
        let aliases = Aliases::of(text);
        let reads = self.reads_behind(&hits, text, &lines, &aliases);
        hits.extend(reads);
        merge(self.rules, path, text, &lines, hits, &aliases)
    }

    /// `key = os.environ["CF_DDNS_KEY"]` feeding an X-Auth-Key header three lines down is
    /// itself a use of the key: report the read, under the env rule of the same role.
    fn reads_behind(&self, hits: &[Hit], text: &str, lines: &Lines, aliases: &Aliases) -> Vec<Hit> {
        let mut out = Vec::new();
        for hit in hits {
            let Some(resolved) = hit.value.as_deref().and_then(|v| aliases.resolve(v)) else {
                continue;
            };
            let Some(line) = resolved.via_line else {
                continue;
            };
            let role = self.rules[hit.rule].role;
            let Some(rule) = self
                .rules
                .iter()
                .position(|r| r.kind == Kind::Env && r.role == role && matches!(r.matcher, Matcher::Line(_)))
            else {
                continue;
            };
            let start = lines.start(line);
            let col = lines.text(text, line).find(resolved.name.as_str()).unwrap_or(0);
            out.push(Hit {
                rule,
                line,
                end_line: line,
                offset: start + col,
                cred: Some(resolved.name),
                value: None,
                secret: None,
            });
        }
        out
    }
}

fn match_line(
    rule_idx: usize,
    rule: &DetectRule,
    re: &regex::Regex,
    text: &str,
    lines: &Lines,
    line: usize,
) -> Option<Hit> {
    let start = lines.start(line);
    let window = &text[start..lines.end(line + rule.window)];
    let first_line_len = lines.end(line) - start;
    let caps = re.captures_iter(window).find(|c| c.get(0).is_some_and(|m| m.start() < first_line_len.max(1)))?;
    hit_from(rule_idx, rule, &caps, start, text, lines)
}

/// A regex match (at `base` in the file) made a hit, unless `unless` or `ancestor` say no.
fn hit_from(
    rule_idx: usize,
    rule: &DetectRule,
    caps: &regex::Captures,
    base: usize,
    text: &str,
    lines: &Lines,
) -> Option<Hit> {
    let m = caps.get(0)?;
    let offset = base + m.start();
    let line = lines.line_of(offset);
    let own_line = lines.text(text, line);
    // A name in a comment is documentation, not a use; a key in a comment is still a leak.
    if rule.kind != Kind::Literal && is_comment(own_line) {
        return None;
    }
    if rule.unless.as_ref().is_some_and(|u| u.is_match(own_line) || u.is_match(m.as_str())) {
        return None;
    }
    if let Some(anc) = &rule.ancestor {
        if !ancestors(text, lines, line).any(|l| anc.is_match(l)) {
            return None;
        }
    }
    let group = |base_name: &str| {
        (1..=4).find_map(|n| {
            let name = if n == 1 { base_name.to_string() } else { format!("{base_name}{n}") };
            caps.name(&name).map(|c| c.as_str().to_string())
        })
    };
    Some(Hit {
        rule: rule_idx,
        line,
        end_line: lines.line_of(base + m.end().saturating_sub(1).max(m.start())),
        offset,
        cred: group("cred"),
        value: group("value"),
        secret: group("secret"),
    })
}

fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    // `--header=` and `'X-Auth-Key': v` are code, so `--` and `'` comments need more than a prefix.
    ["#", "//", "/*", "* ", "-- ", ";", "<!--", "REM "].iter().any(|p| t.starts_with(p)) && !t.starts_with("#!")
        || t == "*"
}

/// The lines that open the blocks enclosing `line`: each less indented than the one below.
fn ancestors<'t>(text: &'t str, lines: &'t Lines, line: usize) -> impl Iterator<Item = &'t str> + 't {
    let indent = |s: &str| s.len() - s.trim_start().len();
    let mut current = indent(lines.text(text, line));
    (0..line).rev().filter_map(move |l| {
        let t = lines.text(text, l);
        if t.trim().is_empty() || current == 0 {
            return None;
        }
        let i = indent(t);
        (i < current).then(|| {
            current = i;
            t
        })
    })
}

/// One finding per line (strongest kind, then severity, then rule id), with what the weaker
/// hits knew (a credential name) kept; lines inside a multi-line SDK call belong to it.
fn merge(
    rules: &[DetectRule],
    path: &str,
    text: &str,
    lines: &Lines,
    hits: Vec<Hit>,
    aliases: &Aliases,
) -> Vec<Finding> {
    // One finding per line and role: `-H "X-Auth-Email: $E" -H "X-Auth-Key: $K"` is two sites,
    // each naming its own credential.
    let mut per_line: BTreeMap<(usize, crate::finding::Role), Vec<Finding>> = BTreeMap::new();
    for hit in hits {
        let f = to_finding(rules, path, text, lines, hit, aliases);
        per_line.entry((f.line, f.role)).or_default().push(f);
    }
    let mut out: Vec<Finding> = Vec::new();
    for (_, mut group) in per_line {
        // Among equals, a rule that knows the construct (an X-Auth-Key header holding a
        // literal) says more than the bare key-shape rule.
        let specific =
            |f: &Finding| rules.iter().any(|r| r.id == f.rule && r.kind == f.kind && r.kind == Kind::Literal);
        group.sort_by(|a, b| {
            (b.kind, b.severity, specific(a), &a.rule).cmp(&(a.kind, a.severity, specific(b), &b.rule))
        });
        let credential = group.iter().find_map(|f| f.credential.clone());
        let tool = group.iter().find_map(|f| f.tool.clone());
        let sdk = group.iter().find_map(|f| f.sdk.clone());
        let mut best = group.swap_remove(0);
        best.credential = best.credential.or(credential);
        best.tool = best.tool.or(tool);
        best.sdk = best.sdk.or(sdk);
        out.push(best);
    }
    let spans: Vec<(usize, usize)> =
        out.iter().filter(|f| f.kind == Kind::Sdk && f.end_line > f.line).map(|f| (f.line, f.end_line)).collect();
    out.retain(|f| f.kind == Kind::Literal || !spans.iter().any(|&(s, e)| f.line > s && f.line <= e));
    // Identical lines in one file are told apart by their order, so fingerprints stay unique.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in &mut out {
        let n = seen.entry(f.fingerprint.clone()).or_insert(0);
        if *n > 0 {
            f.fingerprint = format!("{}:{}", f.fingerprint, n);
        }
        *n += 1;
    }
    out
}

fn to_finding(rules: &[DetectRule], path: &str, text: &str, lines: &Lines, hit: Hit, aliases: &Aliases) -> Finding {
    let rule = &rules[hit.rule];
    let line_text = lines.text(text, hit.line);
    let column = text[lines.start(hit.line)..hit.offset].chars().count() + 1;
    let mut kind = rule.kind;
    let mut severity = rule.severity;
    let secret =
        hit.secret.clone().or_else(|| hit.value.as_deref().and_then(credential::literal_key).map(str::to_string));
    // Where the value names its source (`api_key = var.cf_key`, `token: env/CF_TOKEN`,
    // `X = os.environ["Y"]`), that source is the credential; else the setting itself.
    let resolved = hit.value.as_deref().and_then(|v| aliases.resolve(v));
    let credential = resolved
        .map(|r| r.name)
        .or_else(|| hit.cred.clone())
        .or_else(|| rule.credential.clone())
        // A header name is where a key goes, not what holds it.
        .filter(|c| !c.to_ascii_lowercase().starts_with("x-auth-"));
    let mut message = rule.summary.clone();
    let secret = secret.map(Secret::new);
    if let Some(s) = &secret {
        kind = Kind::Literal;
        severity = Severity::Critical;
        if rule.kind != Kind::Literal {
            message = format!("{} — with the key hard-coded ({})", rule.summary, s.redacted());
        }
    }
    let snippet = crate::report::redact::scrub(&mask(line_text, secret.as_ref()));
    let fingerprint = fingerprint(&rule.id, path, &snippet);
    Finding {
        rule: rule.id.clone(),
        path: path.to_string(),
        line: hit.line + 1,
        column,
        end_line: hit.end_line.max(hit.line) + 1,
        kind,
        role: rule.role,
        credential,
        severity,
        message,
        fix: if secret.is_some() {
            format!("{} Revoke this key now: it is in the repository history.", rule.fix)
        } else {
            rule.fix.clone()
        },
        snippet: truncate_around(&snippet, column),
        secret,
        tool: rule
            .tool
            .clone()
            .or_else(|| rule.tool_hints.iter().find(|(re, _)| re.is_match(text)).map(|(_, t)| t.clone())),
        sdk: rule.sdk.clone(),
        fingerprint,
        history: None,
    }
}

fn mask(line: &str, secret: Option<&Secret>) -> String {
    match secret {
        Some(s) => line.replace(s.expose(), &s.masked()),
        None => line.to_string(),
    }
}

/// Minified files have lines of megabytes; show 200 characters around the match.
fn truncate_around(line: &str, column: usize) -> String {
    const MAX: usize = 200;
    let count = line.chars().count();
    if count <= MAX {
        return line.to_string();
    }
    let start = column.saturating_sub(MAX / 4).min(count - MAX);
    let body: String = line.chars().skip(start).take(MAX).collect();
    format!("{}{}{}", if start > 0 { "…" } else { "" }, body, if start + MAX < count { "…" } else { "" })
}

/// FNV-1a over the rule, the path and the whitespace-normalised line: stable when other
/// lines of the file move, different when this line changes.
pub fn fingerprint(rule: &str, path: &str, line: &str) -> String {
    let normalised: Vec<&str> = line.split_whitespace().collect();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [rule, "\0", path, "\0", &normalised.join(" ")] {
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
