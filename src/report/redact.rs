//! The last line of defence: masks anything shaped like a Cloudflare credential in text that
//! is about to be printed, whatever stage produced it.

use std::sync::LazyLock;

use regex::Regex;

static SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:cf[kua]t?_[A-Za-z0-9]{40}[a-f0-9]{8}", // new-format key and tokens
        r"|cfoat_[A-Za-z0-9_-]{20,}",                 // wrangler OAuth
        r"|v1\.0-[A-Za-z0-9-]{40,}",                  // Origin CA key
        r"|[a-f0-9]{37,45}",                          // legacy global key
        r")\b"
    ))
    .expect("built-in redaction pattern")
});

/// `text` with every credential-shaped run masked to its first four characters.
pub fn scrub(text: &str) -> String {
    SHAPES
        .replace_all(text, |c: &regex::Captures| {
            let s = &c[0];
            let mut out: String = s.chars().take(4).collect();
            out.extend(std::iter::repeat_n('*', s.chars().count() - 4));
            out
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_is_masked() {
        let key = "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e";
        let cfk = format!("cfk_{}{}", "A1".repeat(20), "0123abcd");
        let text = format!("k={key} n={cfk} zone=0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1");
        let out = scrub(&text);
        assert!(!out.contains(key) && !out.contains(&cfk));
        assert!(out.contains("zone=0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1"), "zone ids are not secrets");
    }
}
