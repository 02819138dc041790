//! The keyword prefilter: where every rule keyword occurs in a file, found the way ripgrep
//! finds literals.
//!
//! The aho-corasick crate uses its SIMD search (Teddy) only for case-sensitive,
//! non-overlapping searches, and an ASCII case-insensitive overlapping search steps through
//! every byte (~450 MB/s). So the first pass looks only for the *minimal* keywords (those
//! that contain no other keyword), case-sensitively and leftmost-first, over an
//! ASCII-lowercased copy of the bytes: most files end there at memory speed. Every keyword
//! contains a minimal one, so each occurrence of any keyword is found by checking, at each
//! minimal hit, the keywords known to contain it. The result is exactly what an overlapping
//! case-insensitive search over all keywords finds.

use std::cell::RefCell;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::rules::{DetectRule, Matcher};

/// The lowercased copy is made and searched this many bytes at a time, so a large file never
/// costs a second buffer of its size.
const CHUNK: usize = 64 * 1024;

pub struct Gate {
    /// The minimal keywords, lowercased.
    first: AhoCorasick,
    /// Per minimal keyword: every (keyword, offset of the minimal keyword inside it).
    within: Vec<Vec<(usize, usize)>>,
    keywords: Vec<Vec<u8>>,
    /// Longest keyword, so that a chunk boundary never hides a minimal keyword.
    longest: usize,
}

thread_local! {
    /// One lowercased chunk per walker thread, reused for every file.
    static LOWER: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(CHUNK + 256));
}

impl Gate {
    /// `keywords` are distinct and lowercase (rule loading lowercases them).
    pub fn new(keywords: &[String]) -> Gate {
        let keywords: Vec<Vec<u8>> = keywords.iter().map(|k| k.to_ascii_lowercase().into_bytes()).collect();
        let contains = |hay: &[u8], needle: &[u8]| !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle);
        // A keyword is minimal unless another, different, keyword occurs inside it; of equal
        // keywords (not expected) the first is kept.
        let minimal: Vec<usize> = (0..keywords.len())
            .filter(|&i| {
                !keywords.iter().enumerate().any(|(j, other)| {
                    j != i
                        && other.len() <= keywords[i].len()
                        && contains(&keywords[i], other)
                        && (other.len() < keywords[i].len() || j < i)
                })
            })
            .collect();
        let within = minimal
            .iter()
            .map(|&m| {
                let needle = &keywords[m];
                let mut at = Vec::new();
                for (k, kw) in keywords.iter().enumerate() {
                    for d in 0..=kw.len().saturating_sub(needle.len()) {
                        if kw.len() >= needle.len() && &kw[d..d + needle.len()] == needle.as_slice() {
                            at.push((k, d));
                        }
                    }
                }
                at
            })
            .collect();
        let first = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(minimal.iter().map(|&m| &keywords[m]))
            .expect("keywords are plain strings; the automaton always builds");
        let longest = keywords.iter().map(Vec::len).max().unwrap_or(0);
        Gate { first, within, keywords, longest }
    }

    /// Every (keyword index, start offset) where a keyword occurs in `bytes`, ASCII
    /// case-insensitively, overlapping occurrences included; sorted, without repeats.
    pub fn occurrences(&self, bytes: &[u8], out: &mut Vec<(usize, usize)>) {
        out.clear();
        if self.keywords.is_empty() {
            return;
        }
        LOWER.with(|lower| {
            let mut lower = lower.borrow_mut();
            let mut base = 0;
            while base < bytes.len() {
                // Starts in [base, base + CHUNK) are reported from this chunk; it reaches
                // `longest - 1` bytes further so that a keyword starting near its end is whole.
                let end = (base + CHUNK + self.longest - 1).min(bytes.len());
                let owned = (base + CHUNK).min(bytes.len()) - base;
                lower.clear();
                lower.extend(bytes[base..end].iter().map(u8::to_ascii_lowercase));
                self.chunk(bytes, &lower, base, owned, out);
                base += CHUNK;
            }
        });
        if out.len() > 1 {
            out.sort_unstable_by_key(|&(k, at)| (at, k));
            out.dedup();
        }
    }

    fn chunk(&self, bytes: &[u8], lower: &[u8], base: usize, owned: usize, out: &mut Vec<(usize, usize)>) {
        let mut from = 0;
        while from < owned {
            let Some(m) = self.first.find(Input::new(lower).span(from..lower.len())) else { break };
            let start = m.start();
            if start >= owned {
                break;
            }
            // At one start at most one minimal keyword matches (a longer one would contain the
            // shorter, so it is not minimal): restarting one byte on misses none.
            from = start + 1;
            let at = base + start;
            for &(k, d) in &self.within[m.pattern().as_usize()] {
                let kw = &self.keywords[k];
                if at >= d
                    && at - d + kw.len() <= bytes.len()
                    && bytes[at - d..at - d + kw.len()].eq_ignore_ascii_case(kw)
                {
                    out.push((k, at - d));
                }
            }
        }
    }
}

/// Whether `bytes` hold a run of at least `n` bytes that `class` accepts. Any such run
/// covers one of the positions `n - 1`, `2n - 1`, …, so only those are looked at first.
pub fn has_run(bytes: &[u8], n: usize, class: impl Fn(u8) -> bool) -> bool {
    if n == 0 {
        return true;
    }
    let mut probe = n - 1;
    while probe < bytes.len() {
        if class(bytes[probe]) {
            let left = bytes[..probe].iter().rev().take_while(|&&b| class(b)).count();
            let right = bytes[probe + 1..].iter().take_while(|&&b| class(b)).count();
            if left + 1 + right >= n {
                return true;
            }
            // The run ends before `probe + right + 1`; the next run starts after it.
            probe += right + 1 + n;
            continue;
        }
        probe += n;
    }
    false
}

/// A run of at least `min` bytes from an ASCII set that every match of a rule contains.
#[derive(Debug, Clone)]
pub struct Run {
    /// Bit `b` set: ASCII byte `b` belongs to the set.
    set: u128,
    min: usize,
}

/// Runs shorter than this are too common in text to be worth a check.
const MIN_RUN: usize = 16;

impl Run {
    pub fn occurs_in(&self, bytes: &[u8]) -> bool {
        has_run(bytes, self.min, |b| b < 128 && self.set >> b & 1 == 1)
    }
}

/// The longest run a line rule's pattern cannot match without (`[a-f0-9]{37}` in the hex-key
/// rule), read from the parsed pattern: a repetition of an ASCII class at least `MIN_RUN`
/// times that lies on every path through the pattern (only concatenations and groups are
/// followed, so the answer is always safe).
pub fn required_run(rule: &DetectRule) -> Option<Run> {
    let Matcher::Line(re) = &rule.matcher else { return None };
    let hir = regex_syntax::ParserBuilder::new().build().parse(re.as_str()).ok()?;
    required(&hir).filter(|r| r.min >= MIN_RUN)
}

fn required(hir: &Hir) -> Option<Run> {
    match hir.kind() {
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(required).max_by_key(|r| r.min),
        HirKind::Repetition(rep) if rep.min >= 1 => match rep.sub.kind() {
            HirKind::Class(class) => ascii_set(class).map(|set| Run { set, min: rep.min as usize }),
            _ => required(&rep.sub),
        },
        _ => None,
    }
}

fn ascii_set(class: &Class) -> Option<u128> {
    let mut set = 0u128;
    let mut add = |lo: u32, hi: u32| {
        if hi >= 128 {
            return false;
        }
        for b in lo..=hi {
            set |= 1 << b;
        }
        true
    };
    let ok = match class {
        Class::Unicode(c) => c.iter().all(|r| add(r.start() as u32, r.end() as u32)),
        Class::Bytes(c) => c.iter().all(|r| add(u32::from(r.start()), u32::from(r.end()))),
    };
    ok.then_some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: an overlapping ASCII case-insensitive search over all keywords.
    fn reference(keywords: &[String], bytes: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .expect("automaton");
        let mut v: Vec<(usize, usize)> =
            ac.find_overlapping_iter(bytes).map(|m| (m.pattern().as_usize(), m.start())).collect();
        v.sort_unstable_by_key(|&(k, at)| (at, k));
        v.dedup();
        v
    }

    fn kws(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_what_an_overlapping_case_insensitive_search_finds() {
        let keywords = kws(&[
            "cloudflare",
            "cloudflare_api_key",
            "cf_api_key",
            "api_key",
            "x-auth-key",
            "aaa",
            "provider \"cloudflare\"",
        ]);
        let gate = Gate::new(&keywords);
        let mut out = Vec::new();
        for text in [
            "export CLOUDFLARE_API_KEY=x; CF_API_KEY=y",
            "aaaaa provider \"CloudFlare\" X-Auth-Key",
            "no keyword here",
            "",
            "cloudflar",
            "Ünïcode cloudflare_api_key ß",
        ] {
            gate.occurrences(text.as_bytes(), &mut out);
            assert_eq!(out, reference(&keywords, text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn keywords_across_chunk_boundaries_are_found_once() {
        let keywords = kws(&["cloudflare", "cloudflare_api_key", "x-auth-key"]);
        let gate = Gate::new(&keywords);
        let mut out = Vec::new();
        for shift in [0usize, 1, 5, 9, 17, 18] {
            let mut text = vec![b'.'; CHUNK - shift];
            text.extend_from_slice(b"CLOUDFLARE_API_KEY ");
            text.extend(std::iter::repeat_n(b'-', CHUNK));
            text.extend_from_slice(b"x-auth-KEY");
            gate.occurrences(&text, &mut out);
            assert_eq!(out, reference(&keywords, &text), "shift {shift}");
        }
    }

    #[test]
    fn runs_are_found_wherever_they_sit() {
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        let run = "0123456789abcdef0123456789abcdef01234";
        for pad in 0..80 {
            let text = format!("{}{run}{}", "x".repeat(pad), "y".repeat(pad % 7));
            assert!(has_run(text.as_bytes(), 37, hex), "pad {pad}");
            let short = format!("{}{} {}", "x".repeat(pad), &run[..36], &run[..36]);
            assert!(!has_run(short.as_bytes(), 37, hex), "pad {pad}");
        }
        assert!(!has_run(b"", 37, hex));
    }

    #[test]
    fn the_required_run_is_read_from_the_pattern() {
        let run = |p: &str| {
            let hir = regex_syntax::ParserBuilder::new().build().parse(p).expect("pattern");
            required(&hir).filter(|r| r.min >= MIN_RUN).map(|r| r.min)
        };
        assert_eq!(run(r"(?m)(?:\b(?P<c>\w+)\s*=|^)(?P<secret>[a-f0-9]{37})(?:$|[\s,])"), Some(37));
        assert_eq!(run(r"(?:[a-f0-9]{37}|x)"), None, "an alternative without the run");
        assert_eq!(run(r"[a-f0-9]{0,40}"), None, "optional");
        assert_eq!(run(r"\w{40}"), None, "not ASCII-only");
        assert_eq!(run(r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"), Some(146));
    }
}
