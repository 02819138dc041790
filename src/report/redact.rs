//! The last line of defence: masks anything shaped like a Cloudflare credential in text that
//! is about to be printed, whatever stage produced it.
//!
//! Three passes, each linear in the text:
//! 1. prefixed keys and tokens (`cfk_`, `cfut_`, `cfat_`, `cfoat_`, `v1.0-`) with a tail of any
//!    plausible length, wherever they start (`key_cfk_…` is still a key);
//! 2. a legacy key split across a concatenation (`"8f3c…" + "…"`, Python's adjacent literals,
//!    PHP's `.`, the same with JSON-escaped quotes): the pieces together are key-length;
//! 3. every maximal run of lowercase hex of a legacy key's length. Runs, not `\b` words: a key
//!    touching `_`, a JSON escape (`\t8f3c…`) or a URL escape (`%3D8f3c…`) is still a key, and a
//!    64-hex digest is still not one.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Legacy Global API Key lengths (lowercase hex); one more for a run that swallowed the letter
/// of an escape before it (`\b`, `\f`).
const KEY_LEN: std::ops::RangeInclusive<usize> = 37..=46;

/// How many characters of a masked value stay visible.
const SHOWN: usize = 4;

static PREFIXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:cf(?:k|ut|at|u|a)_[A-Za-z0-9]{30,80}", // new-format key and tokens, any tail length
        r"|cfoat_[A-Za-z0-9_-]{20,}",               // wrangler OAuth
        r"|v1\.0-[A-Za-z0-9-]{40,})",               // Origin CA key
    ))
    .expect("built-in redaction pattern")
});

/// Hex pieces joined by a closing quote, an optional operator and an opening quote.
static SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    let quote = r#"\\?["'`]"#;
    let gap = r"(?:\s|\\[nrt])*";
    let op = r"(?:\+|\.\.?|~|&|\|\||<>)?";
    Regex::new(&format!(r"[a-f0-9]{{1,45}}(?:{quote}{gap}{op}{gap}{quote}[a-f0-9]{{1,45}})+"))
        .expect("built-in redaction pattern")
});

static HEX_RUN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-f0-9]{37,}").expect("built-in redaction pattern"));

/// Text that has passed [`scrub`]: printed as it is, not scrubbed a second time (a plan's
/// JSON runs to megabytes on a large tree).
pub struct Scrubbed(String);

impl Scrubbed {
    pub fn new(text: &str) -> Scrubbed {
        Scrubbed(scrub(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Pieces scrubbed one by one, joined where no credential shape can span the joint (each
    /// joint lies between JSON punctuation: `[`, `,` or a brace): a plan's credentials are
    /// scrubbed side by side.
    pub(crate) fn joined(pieces: Vec<Scrubbed>) -> Scrubbed {
        Scrubbed(pieces.into_iter().map(|p| p.0).collect())
    }
}

/// `text` with every credential-shaped run masked to its first four characters.
pub fn scrub(text: &str) -> String {
    let text = PREFIXED.replace_all(text, |c: &Captures| mask(&c[0]));
    let text = SPLIT.replace_all(&text, |c: &Captures| {
        let s = &c[0];
        // Nothing between the pieces is hex (the escapes allowed there are `\n`, `\r`, `\t`).
        let hex = s.bytes().filter(u8::is_ascii_hexdigit).count();
        if KEY_LEN.contains(&hex) {
            mask_hex(s)
        } else {
            s.to_string()
        }
    });
    let text = HEX_RUN.replace_all(&text, |c: &Captures| {
        let s = &c[0];
        if KEY_LEN.contains(&s.len()) {
            mask(s)
        } else {
            s.to_string()
        }
    });
    text.into_owned()
}

fn mask(s: &str) -> String {
    let mut out: String = s.chars().take(SHOWN).collect();
    out.extend(std::iter::repeat_n('*', s.chars().count().saturating_sub(SHOWN)));
    out
}

/// Masks the hex of a split key past its first four characters, keeping the quotes and
/// operators between the pieces so the excerpt still reads as code.
fn mask_hex(s: &str) -> String {
    let mut shown = 0;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let piece = c.is_ascii_hexdigit();
        if piece && shown >= SHOWN {
            out.push('*');
        } else {
            shown += usize::from(piece);
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e";

    #[test]
    fn every_shape_is_masked() {
        let cfk = format!("cfk_{}{}", "A1".repeat(20), "0123abcd");
        let text = format!("k={KEY} n={cfk} zone=0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1");
        let out = scrub(&text);
        assert!(!out.contains(KEY) && !out.contains(&cfk));
        assert!(out.contains("zone=0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1"), "zone ids are not secrets");
    }

    #[test]
    fn issue13_item6_other_tail_lengths() {
        for tail in [41, 49, 50, 56] {
            for prefix in ["cfk_", "cfut_", "cfat_"] {
                let token = format!("{prefix}{}", &"Ab9".repeat(30)[..tail]);
                let out = scrub(&format!("token = \"{token}\""));
                assert!(!out.contains(&token[6..]), "{out}");
            }
        }
    }

    #[test]
    fn issue13_item6_keys_touching_word_characters() {
        for text in [
            format!("key_{KEY}"),
            format!("{KEY}_prod"),
            format!(r#"{{"line":"\t{KEY}"}}"#),
            format!("url?k=%3D{KEY}&x"),
            format!("x{KEY}y"),
        ] {
            let out = scrub(&text);
            assert!(!out.contains(&KEY[4..]), "{out}");
        }
        let sha256 = "a".repeat(64);
        assert_eq!(scrub(&sha256), sha256, "a digest is not a key");
    }

    #[test]
    fn issue13_item6_keys_split_across_a_concatenation() {
        let (a, b) = KEY.split_at(20);
        for text in [
            format!(r#"key = "{a}" + "{b}""#),
            format!(
                r#"key = ("{a}"
    "{b}")"#
            ),
            format!(r#"$key = '{a}' . '{b}';"#),
            format!(r#"{{"snippet":"key = \"{a}\" + \"{b}\""}}"#),
            format!(r#"{{"snippet":"(\"{a}\"\n \"{b}\")"}}"#),
        ] {
            let out = scrub(&text);
            assert!(!out.contains(&b[2..]) && !out.contains(&a[6..]), "{text}\n=> {out}");
        }
        let zones = r#"ids = "0d6e2c61a3b1f0e0" + "f9c4d7a8""#;
        assert_eq!(scrub(zones), zones, "short pieces stay");
    }
}
