//! Call site -> API operation: URL and path literals normalised to templates, then matched
//! against the catalog.
//!
//! Interpolation of every common syntax (`${zone}`, `{zone_id}`, `$ZONE_ID`, `%s`, `#{id}`,
//! `" + id + "`, `' . $id . '`) becomes one placeholder `{}`; the query string is dropped
//! after its `name=` (a zone name narrows the scope) is kept.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::rules::knowledge::Operation;

/// A path after normalisation: literal segments, `None` for a dynamic one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalPath {
    pub segments: Vec<Option<String>>,
    /// `?name=example.com` on a zones lookup.
    pub zone_name: Option<String>,
}

impl NormalPath {
    pub fn template(&self) -> String {
        let mut s = String::new();
        for seg in &self.segments {
            s.push('/');
            s.push_str(seg.as_deref().unwrap_or("{}"));
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    pub fn is_dynamic(&self) -> bool {
        self.segments.iter().all(Option::is_none)
    }
}

static INTERPOLATION: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(concat!(
        r#"\$\{[^}]*\}|#\{[^}]*\}|\{\$[^}]*\}|\{[^}/]*\}"#, // ${x} #{x} {$x} {x}
        r#"|["'`]\s*(?:\+|\.)\s*[^"'`]+?\s*(?:\+|\.)\s*["'`]"#, // " + x + "   ' . $x . '
        r#"|["'`]\s*(?:\+|\.)\s*[\w.$\[\]()>-]+\s*$"#,      // " + x  at the end
        r#"|%[sdv]|\$[A-Za-z_][A-Za-z0-9_]*|<[^>/]+>|:[a-z_]+\b"#, // %s $X <id> :id
    ))
    .expect("interpolation pattern")
});

static ZONE_NAME: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::new(r"[?&]name=([A-Za-z0-9.-]+\.[A-Za-z]{2,})").expect("zone name pattern"));

/// Normalises a raw path found in code (already starting at `/zones`, `/accounts`, …).
pub fn normalise(raw: &str) -> NormalPath {
    let zone_name = ZONE_NAME.captures(raw).map(|c| c[1].to_string());
    let replaced = INTERPOLATION.replace_all(raw, "\u{0}");
    let path = replaced.split(['?', '#']).next().unwrap_or_default();
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|seg| {
            let seg = seg.trim_matches(|c: char| c == '"' || c == '\'' || c == '`');
            if seg.contains('\u{0}') || seg.is_empty() || is_id(seg) {
                None
            } else {
                Some(seg.to_string())
            }
        })
        .collect();
    NormalPath { segments, zone_name }
}

/// A literal id (32 hex zone/account ids, UUIDs, numbers) stands for a placeholder.
fn is_id(seg: &str) -> bool {
    (seg.len() >= 16 && seg.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        || seg.bytes().all(|b| b.is_ascii_digit())
}

/// Template segments of a catalog path: `{...}` is a placeholder.
fn template_segments(path: &str) -> Vec<Option<&str>> {
    path.split('/').filter(|s| !s.is_empty()).map(|s| if s.starts_with('{') { None } else { Some(s) }).collect()
}

/// The best catalog operation for a method and path: every literal segment of the call must
/// equal the template's, a dynamic segment matches only a placeholder, and the template
/// with most literal matches wins.
pub fn resolve<'k>(ops: &'k [Operation], method: &str, path: &NormalPath) -> Option<&'k Operation> {
    let mut best: Option<(usize, &Operation)> = None;
    for op in ops.iter().filter(|o| o.method == method) {
        let tpl = template_segments(&op.path);
        if tpl.len() != path.segments.len() {
            continue;
        }
        if let Some(score) = score(tpl.into_iter(), &path.segments) {
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, op));
            }
        }
    }
    best.map(|(_, op)| op)
}

/// The catalog compiled for lookups: templates bucketed by method and segment count, so a
/// call is compared with the few templates of its shape, not the whole catalog. Gives what
/// [`resolve`] gives (same scoring, the first of equal scores).
/// An operation's index in the catalog and its template segments (`None`: a placeholder).
type Template = (usize, Vec<Option<String>>);

pub struct EndpointIndex {
    /// (method, segment count) -> (operation index, template segments), in catalog order.
    buckets: HashMap<(String, usize), Vec<Template>>,
}

impl EndpointIndex {
    pub fn new(ops: &[Operation]) -> EndpointIndex {
        let mut buckets: HashMap<(String, usize), Vec<Template>> = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            let tpl: Vec<Option<String>> =
                template_segments(&op.path).into_iter().map(|s| s.map(str::to_string)).collect();
            buckets.entry((op.method.clone(), tpl.len())).or_default().push((i, tpl));
        }
        EndpointIndex { buckets }
    }

    /// `ops` must be the slice the index was built from.
    pub fn resolve<'k>(&self, ops: &'k [Operation], method: &str, path: &NormalPath) -> Option<&'k Operation> {
        let bucket = self.buckets.get(&(method.to_string(), path.segments.len()))?;
        let mut best: Option<(usize, usize)> = None;
        for (i, tpl) in bucket {
            if let Some(score) = score(tpl.iter().map(Option::as_deref), &path.segments) {
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, *i));
                }
            }
        }
        best.map(|(_, i)| &ops[i])
    }
}

/// How well a template fits a call's segments: `None` when it does not.
fn score<'a>(tpl: impl Iterator<Item = Option<&'a str>>, path: &[Option<String>]) -> Option<usize> {
    let mut score = 0;
    for (t, p) in tpl.zip(path) {
        match (t, p) {
            (Some(t), Some(p)) if t == p => score += 2,
            (None, Some(_)) => score += 1,
            (None, None) => {}
            _ => return None,
        }
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_of_every_syntax_becomes_a_placeholder() {
        for raw in [
            "/zones/${ZONE_ID}/dns_records",
            "/zones/{zone_id}/dns_records",
            "/zones/$ZONE_ID/dns_records",
            "/zones/%s/dns_records",
            "/zones/#{zone}/dns_records",
            "/zones/\" + zoneId + \"/dns_records",
            "/zones/' . $zone . '/dns_records",
            "/zones/0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1/dns_records?per_page=100",
        ] {
            assert_eq!(normalise(raw).template(), "/zones/{}/dns_records", "{raw}");
        }
        let n = normalise("/zones?name=example.com&status=active");
        assert_eq!(n.template(), "/zones");
        assert_eq!(n.zone_name.as_deref(), Some("example.com"));
    }
}
