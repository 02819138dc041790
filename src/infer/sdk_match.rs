//! One automaton per SDK map: every call needle of the map found in one pass over a file.
//!
//! The first version ran one substring search per needle (544 for the Go v4 map) over every
//! file; the answer here is the same, in the same order: per call, per needle, each
//! occurrence left to right without overlapping itself (what `str::match_indices` gives).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::callsite::CallSite;
use super::endpoint::{self, NormalPath};
use crate::rules::knowledge::SdkMap;
use crate::scan::lines::Lines;

pub struct SdkMatcher {
    /// Distinct needles of the map.
    ac: AhoCorasick,
    /// Needle -> every (call, needle position within the call) that spells it.
    owners: Vec<Vec<(usize, usize)>>,
    /// Per call: its normalised path and `via` label, computed once.
    normals: Vec<NormalPath>,
    vias: Vec<String>,
    methods: Vec<String>,
    rust: bool,
}

/// How a map's method shows in code: `->method(` for PHP (`Class::method`), `Name {`,
/// `Name::` or `Name(` for Rust endpoint structs, `.method(` or `.method (` otherwise.
pub fn needles(sdk: &SdkMap, method: &str) -> Vec<String> {
    if let Some((_, method)) = method.split_once("::") {
        vec![format!("->{method}(")]
    } else if sdk.language == "rust" {
        vec![format!("{method} {{"), format!("{method}::"), format!("{method}(")]
    } else {
        vec![format!(".{method}("), format!(".{method} (")]
    }
}

impl SdkMatcher {
    pub fn new(sdk: &SdkMap) -> SdkMatcher {
        let mut distinct: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (ci, call) in sdk.calls.iter().enumerate() {
            for (ni, needle) in needles(sdk, &call.method).into_iter().enumerate() {
                let id = *position.entry(needle.clone()).or_insert_with(|| {
                    distinct.push(needle);
                    owners.push(Vec::new());
                    distinct.len() - 1
                });
                owners[id].push((ci, ni));
            }
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&distinct)
            .expect("needles are plain strings; the automaton always builds");
        SdkMatcher {
            ac,
            owners,
            normals: sdk.calls.iter().map(|c| endpoint::normalise(&c.path)).collect(),
            vias: sdk.calls.iter().map(|c| format!("sdk:{}.{}", sdk.sdk, c.method)).collect(),
            methods: sdk.calls.iter().map(|c| c.http_method.clone()).collect(),
            rust: sdk.language == "rust",
        }
    }

    /// Appends this map's calls in `text` to `out`.
    pub fn calls(&self, path: &str, text: &str, lines: &Lines, out: &mut Vec<CallSite>) {
        // Overlapping matches come ordered by end; for one needle that is by start, so
        // keeping a match only when it starts past the needle's last kept one reproduces a
        // left-to-right non-overlapping search per needle.
        let mut last_end = vec![0usize; self.owners.len()];
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for m in self.ac.find_overlapping_iter(text) {
            let id = m.pattern().as_usize();
            if m.start() < last_end[id] {
                continue;
            }
            last_end[id] = m.end();
            found.extend(self.owners[id].iter().map(|&(call, needle)| (call, needle, m.start())));
        }
        found.sort_unstable();
        for (call, _, at) in found {
            // `api.ListZones(` must not also count as `api.Zones(`-like suffixes.
            if self.rust && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            out.push(CallSite {
                path: path.to_string(),
                line: lines.line_of(at) + 1,
                method: self.methods[call].clone(),
                normal: self.normals[call].clone(),
                via: self.vias[call].clone(),
            });
        }
    }
}
