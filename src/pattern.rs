//! Built-in regexes with ASCII word boundaries. A Unicode `\b` makes the regex crate give up
//! its lazy DFA on any non-ASCII text and fall back to its slowest engine (on the bench
//! corpus, a fifth of `plan` went to link patterns run that way). Every keyword and name
//! these patterns look for is ASCII, so an ASCII boundary finds the same matches.

use regex::Regex;

/// `Regex::new`, with each `\b` and `\B` made ASCII.
pub fn new(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_word_boundaries(pattern))
}

/// `pattern` with every `\b` / `\B` (not an escaped backslash followed by `b`) written
/// `(?-u:\b)` / `(?-u:\B)`.
pub fn ascii_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
                Some('B') => out.push_str("(?-u:\\B)"),
                Some(next) => {
                    out.push(c);
                    out.push(next);
                }
                None => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_become_ascii_and_escapes_stay() {
        assert_eq!(ascii_word_boundaries(r"\bkey\b"), r"(?-u:\b)key(?-u:\b)");
        assert_eq!(ascii_word_boundaries(r"a\\b\.c"), r"a\\b\.c");
        assert_eq!(ascii_word_boundaries(r"x\By"), r"x(?-u:\B)y");
        let re = new(r"\bimport\b").unwrap();
        assert!(re.is_match("é import x") && !re.is_match("reimports"));
    }
}
