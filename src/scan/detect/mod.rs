//! Runs the detection rules over one file's text.
//!
//! Cheap first: one Aho–Corasick pass over the raw bytes finds every rule keyword; a file
//! with none costs that pass and nothing else. Only lines holding a rule's keyword are then
//! matched against that rule's regex (Rust files also go through `syn`, see `rust.rs`).
//! At most one finding per line and role (key, e-mail) survives: the strongest kind wins
//! (`Kind`'s order).

mod alias;
mod outline;
mod rust;

use std::collections::{BTreeMap, BTreeSet};

use super::credential::{self, Aliases};
use super::gate::{self, Gate};
use super::lines::Lines;
use crate::finding::{Finding, Kind, Severity};
use crate::rules::{DetectRule, Matcher};
use crate::secret::Secret;

/// The rules, with their keywords compiled into one automaton.
pub struct Detector<'r> {
    rules: &'r [DetectRule],
    prefilter: Gate,
    /// Keyword index -> rules that carry it.
    keyword_rules: Vec<Vec<usize>>,
    /// Per rule: a run of bytes its every match needs (see `gate::required_run`).
    runs: Vec<Option<gate::Run>>,
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
        let prefilter = Gate::new(&keywords);
        let runs = rules.iter().map(gate::required_run).collect();
        Detector { rules, prefilter, keyword_rules, runs }
    }

    /// Which rules may fire, and on which lines: `None` when no keyword occurs at all.
    pub fn candidates(&self, bytes: &[u8], file_name: &str) -> Option<BTreeMap<usize, Vec<usize>>> {
        thread_local! {
            static FOUND: std::cell::RefCell<Vec<(usize, usize)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let mut offsets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        // Per rule, decided at its first keyword: whether it applies to this file's name and,
        // as a second prefilter step, whether the file has the long run of bytes the rule
        // cannot match without (a 37-hex key). Most files that merely say "cloudflare" end
        // here, before they are decoded, split into lines or searched by whole-file regexes.
        FOUND.with(|found| {
            let mut found = found.borrow_mut();
            self.prefilter.occurrences(bytes, &mut found);
            if found.is_empty() {
                return;
            }
            let mut verdicts: Vec<Option<bool>> = vec![None; self.rules.len()];
            for &(keyword, start) in found.iter() {
                for &rule in &self.keyword_rules[keyword] {
                    let ok = *verdicts[rule].get_or_insert_with(|| {
                        self.rules[rule].applies_to(file_name)
                            && self.runs[rule].as_ref().is_none_or(|r| r.occurs_in(bytes))
                    });
                    if ok {
                        offsets.entry(rule).or_default().push(start);
                    }
                }
            }
        });
        (!offsets.is_empty()).then_some(offsets)
    }

    /// All findings in one file's text. `candidates` come from [`Detector::candidates`] on the
    /// same text.
    pub fn detect(&self, path: &str, text: &str, candidates: BTreeMap<usize, Vec<usize>>) -> Vec<Finding> {
        let lines = Lines::new(text);
        let outline = outline::Outline::new();
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
                    // Matches come in file order: the line checks (comment, `unless`, ancestor)
                    // run once per line, not once per match on a long line.
                    let mut verdict: Option<(usize, bool)> = None;
                    for caps in re.captures_iter(text) {
                        let line = caps.get(0).map_or(0, |m| lines.line_of(m.start()));
                        let ok = match verdict {
                            Some((l, ok)) if l == line => ok,
                            _ => {
                                let ok = line_allows(rule, text, &lines, &outline, line);
                                verdict = Some((line, ok));
                                ok
                            }
                        };
                        if ok {
                            if let Some(hit) = hit_from(rule_idx, rule, &caps, 0, text, &lines, None) {
                                hits.push(hit);
                            }
                        }
                    }
                }
                Matcher::Line(re) => {
                    let line_set: BTreeSet<usize> = offsets.iter().map(|&o| lines.line_of(o)).collect();
                    for line in line_set {
                        if let Some(hit) = match_line(rule_idx, rule, re, text, &lines, &outline, line) {
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
        hits.retain(|h| !in_directive(text, &lines, h.offset));
        if hits.is_empty() {
            return Vec::new();
        }
        // Only a hit's value is ever resolved through the file's assignments.
        let aliases = if hits.iter().any(|h| h.value.is_some()) { Aliases::of(text) } else { Aliases::default() };
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
                // `AUTH_KEY = "0d6e…"` sent by a header: the assignment is the hard-coded key,
                // named after its variable (one credential with the header, not two).
                secret: resolved.literal,
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
    outline: &outline::Outline,
    line: usize,
) -> Option<Hit> {
    let start = lines.start(line);
    let window = &text[start..lines.end(line + rule.window)];
    let first_line_len = lines.end(line) - start;
    let caps = re.captures_iter(window).find(|c| c.get(0).is_some_and(|m| m.start() < first_line_len.max(1)))?;
    hit_from(rule_idx, rule, &caps, start, text, lines, Some(outline))
}

/// The checks on a match's own line: not a comment (for names), not `unless`, under the
/// rule's `ancestor` when it has one.
fn line_allows(rule: &DetectRule, text: &str, lines: &Lines, outline: &outline::Outline, line: usize) -> bool {
    let own_line = lines.text(text, line);
    if rule.kind != Kind::Literal && is_comment(own_line) {
        return false;
    }
    if rule.unless.as_ref().is_some_and(|u| u.is_match(own_line)) {
        return false;
    }
    match &rule.ancestor {
        Some(anc) => outline.ancestors(text, lines, line).any(|l| anc.is_match(l)),
        None => true,
    }
}

/// A regex match (at `base` in the file) made a hit, unless `unless` or `ancestor` say no.
/// With `outline`, the line checks run here; without, the caller ran [`line_allows`].
fn hit_from(
    rule_idx: usize,
    rule: &DetectRule,
    caps: &regex::Captures,
    base: usize,
    text: &str,
    lines: &Lines,
    outline: Option<&outline::Outline>,
) -> Option<Hit> {
    let m = caps.get(0)?;
    // Patterns anchored at the line start (`^\s*api_key:`) match the indentation too; the
    // finding points at the setting, not at column 1.
    let indent = m.as_str().len() - m.as_str().trim_start_matches([' ', '\t']).len();
    let offset = base + m.start() + indent.min(m.len().saturating_sub(1));
    let line = lines.line_of(offset);
    // A name in a comment is documentation, not a use; a key in a comment is still a leak.
    if outline.is_some_and(|o| !line_allows(rule, text, lines, o, line)) {
        return None;
    }
    if rule.unless.as_ref().is_some_and(|u| u.is_match(m.as_str())) {
        return None;
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

/// Whether `offset` lies inside a `scopesmith:ignore[...]` directive: the rule ids listed there
/// (`x-auth-key-header`) name rules, they are no use of a key.
fn in_directive(text: &str, lines: &Lines, offset: usize) -> bool {
    const OPEN: &str = "scopesmith:ignore[";
    let line = lines.line_of(offset);
    let start = lines.start(line);
    let Some(here) = offset.checked_sub(start) else { return false };
    let l = lines.text(text, line);
    memchr::memmem::find_iter(l.as_bytes(), OPEN).any(|at| {
        let close = l[at..].find(']').map(|c| at + c).unwrap_or(l.len());
        (at..=close).contains(&here)
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
    let columns = columns(text, lines, &hits);
    let mut tools = BTreeMap::new();
    for (hit, column) in hits.into_iter().zip(columns) {
        let f = to_finding(rules, path, text, lines, hit, column, aliases, &mut tools);
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
    // `out` is in line order, so one sweep finds the lines inside an earlier-starting span.
    let mut spans: Vec<(usize, usize)> =
        out.iter().filter(|f| f.kind == Kind::Sdk && f.end_line > f.line).map(|f| (f.line, f.end_line)).collect();
    spans.sort_unstable();
    let (mut next, mut reach) = (0, 0);
    out.retain(|f| {
        while next < spans.len() && spans[next].0 < f.line {
            reach = reach.max(spans[next].1);
            next += 1;
        }
        f.kind == Kind::Literal || reach < f.line
    });
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

/// 1-based character columns of every hit, counting each line's characters once however
/// many hits it has (a minified line with thousands of keys).
fn columns(text: &str, lines: &Lines, hits: &[Hit]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_unstable_by_key(|&i| hits[i].offset);
    let mut out = vec![1; hits.len()];
    let (mut line, mut at, mut col) = (usize::MAX, 0, 0);
    for i in order {
        let h = &hits[i];
        if h.line != line {
            (line, at, col) = (h.line, lines.start(h.line), 0);
        }
        let to = h.offset.max(at).min(text.len());
        col += text.get(at..to).map_or(0, |s| s.chars().count());
        at = to;
        out[i] = col + 1;
    }
    out
}

/// Longest line an excerpt is cut from whole; longer lines (minified code) are cut to a
/// [`WINDOW`] around the hit first, so masking, scrubbing and fingerprinting cost the same for
/// every hit however long its line (and the fingerprint of such a line is that of its window).
const LONG_LINE: usize = 4096;
/// Bytes kept around a hit on a long line: more than the 200 characters an excerpt shows.
const WINDOW: usize = 1024;

/// `line` cut to about [`WINDOW`] bytes around byte `at` (on character boundaries) when it is
/// longer than [`LONG_LINE`], and the start of the cut.
fn window(line: &str, at: usize) -> (&str, usize) {
    if line.len() <= LONG_LINE {
        return (line, 0);
    }
    let mut start = at.saturating_sub(WINDOW / 2).min(line.len());
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + WINDOW).min(line.len());
    while !line.is_char_boundary(end) {
        end += 1;
    }
    (&line[start..end], start)
}

#[allow(clippy::too_many_arguments)]
fn to_finding(
    rules: &[DetectRule],
    path: &str,
    text: &str,
    lines: &Lines,
    hit: Hit,
    column: usize,
    aliases: &Aliases,
    tools: &mut BTreeMap<usize, Option<String>>,
) -> Finding {
    let rule = &rules[hit.rule];
    let line_start = lines.start(hit.line);
    let (line_text, cut) = window(lines.text(text, hit.line), hit.offset.saturating_sub(line_start));
    // Where the hit sits in the excerpt, in characters (the column itself counts from the
    // line start).
    let excerpt_column = if cut == 0 {
        column
    } else {
        line_text[..(hit.offset - line_start - cut).min(line_text.len())].chars().count() + 1
    };
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
        snippet: truncate_around(&snippet, excerpt_column),
        secret,
        // Tool hints search the whole file: once per rule and file, not once per finding.
        tool: rule.tool.clone().or_else(|| {
            tools
                .entry(hit.rule)
                .or_insert_with(|| rule.tool_hints.iter().find(|(re, _)| re.is_match(text)).map(|(_, t)| t.clone()))
                .clone()
        }),
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
