//! Built-in and rule regexes with ASCII word boundaries and ASCII Perl classes. A Unicode
//! `\b` makes the regex crate give up its lazy DFA on any non-ASCII text and fall back to
//! its slowest engine (on the bench corpus, a fifth of `plan` went to link patterns run that
//! way), and a Unicode `\w` is thousands of automaton states. Every keyword and name these
//! patterns look for is ASCII, so the ASCII forms find the same matches.

use regex::Regex;

/// `Regex::new`, with word boundaries and Perl classes made ASCII ([`ascii_classes`]).
pub fn new(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_classes(pattern))
}

/// `pattern` with every `\b` / `\B` outside brackets (not an escaped backslash followed by
/// `b`) written `(?-u:\b)` / `(?-u:\B)`, and each Perl class (`\w`, `\d`, `\s` and their
/// negations) ASCII too, inside brackets or not. The keys, names and
/// code the rules look for are ASCII, and a Unicode `\w` compiles to thousands of automaton
/// states that every thread's lazy DFA then caches: on the bench corpus, megabytes of a scan.
pub fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let chars: Vec<char> = pattern.chars().collect();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let next = chars[i + 1];
            i += 2;
            let class = match next {
                'w' => Some("[:word:]"),
                'd' => Some("[:digit:]"),
                's' => Some("[:space:]"),
                'W' => Some("[:^word:]"),
                'D' => Some("[:^digit:]"),
                'S' => Some("[:^space:]"),
                _ => None,
            };
            match (class, depth) {
                (Some(posix), d) if d > 0 => out.push_str(posix),
                (Some(posix), _) => {
                    out.push('[');
                    out.push_str(posix);
                    out.push(']');
                }
                (None, 0) if next == 'b' || next == 'B' => {
                    out.push_str(if next == 'b' { "(?-u:\\b)" } else { "(?-u:\\B)" });
                }
                (None, _) => {
                    out.push('\\');
                    out.push(next);
                }
            }
            continue;
        }
        if c == '[' && depth > 0 && chars.get(i + 1) == Some(&':') {
            // A POSIX class `[:alpha:]` inside brackets: copied as it is.
            if let Some(end) = (i + 2..chars.len().saturating_sub(1)).find(|&j| chars[j] == ':' && chars[j + 1] == ']')
            {
                out.extend(&chars[i..end + 2]);
                i = end + 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
        if c == '[' {
            depth += 1;
            // `[^` and a `]` first in the class are literal.
            if chars.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            if chars.get(i) == Some(&']') {
                out.push(']');
                i += 1;
            }
        } else if c == ']' && depth > 0 {
            depth -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_become_ascii_inside_brackets_and_out() {
        assert_eq!(ascii_classes(r"\w+\s*=\d"), r"[[:word:]]+[[:space:]]*=[[:digit:]]");
        assert_eq!(ascii_classes(r"[\w.-]+[^\s]"), r"[[:word:].-]+[^[:space:]]");
        assert_eq!(ascii_classes(r"\W\S\D"), r"[[:^word:]][[:^space:]][[:^digit:]]");
        assert_eq!(ascii_classes(r"[]\w][^]\d]"), r"[][:word:]][^][:digit:]]");
        assert_eq!(ascii_classes(r"[[:alpha:]\w]\bx\\w"), r"[[:alpha:][:word:]](?-u:\b)x\\w");
        assert_eq!(ascii_classes(r"\x{41}\p{L}\."), r"\x{41}\p{L}\.");
        for (pattern, text, matched) in [
            (r"\w+", "é", false),
            (r"^\w+$", "api_key9", true),
            (r"[^\s]+", "a\u{a0}b", true),
            (r"\s", "\t", true),
            (r"[\w-]{3}", "a-b", true),
        ] {
            let re = Regex::new(&ascii_classes(pattern)).unwrap();
            assert_eq!(re.is_match(text), matched, "{pattern} on {text:?}");
        }
    }

    #[test]
    fn boundaries_become_ascii_and_escapes_stay() {
        assert_eq!(ascii_classes(r"\bkey\b"), r"(?-u:\b)key(?-u:\b)");
        assert_eq!(ascii_classes(r"a\\b\.c"), r"a\\b\.c");
        assert_eq!(ascii_classes(r"x\By"), r"x(?-u:\B)y");
        let re = new(r"\bimport\b").unwrap();
        assert!(re.is_match("é import x") && !re.is_match("reimports"));
    }
}
