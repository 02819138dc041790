//! Bounds on what untrusted input may cost: bytes of a file read again after the scan, and
//! the nesting of YAML documents before a parser sees them.

use std::io::Read;
use std::path::Path;

/// At most `max` bytes of `path`: a file read again after the scan (suppressions, plan, fix)
/// costs no more memory than the scan's own `--max-file-size`.
pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Deepest flow nesting (`[`, `{`) a YAML document may have. Rule and config files nest a few
/// levels; a hundred thousand brackets made the parser take most of a minute.
pub const MAX_YAML_DEPTH: usize = 64;

/// The byte offset where `text` nests flow collections deeper than [`MAX_YAML_DEPTH`], if
/// it does: one linear pass before any parser runs. Quoted scalars and comments do not count.
pub fn yaml_too_deep(text: &str) -> Option<usize> {
    let (mut depth, mut quote, mut comment) = (0usize, None::<u8>, false);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (quote, comment) {
            (_, true) => comment = b != b'\n',
            (Some(b'"'), _) if b == b'\\' => i += 1,
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, _) => match b {
                b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => comment = true,
                b'"' | b'\'' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':') => {
                    quote = Some(b)
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_YAML_DEPTH {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue13_item15_yaml_nesting_is_bounded_before_parsing() {
        assert_eq!(
            yaml_too_deep("rules:\n  - id: a\n    pattern: '[[[[x]]]]'\n    files: [\"*.sh\", {a: [1]}]\n"),
            None
        );
        let deep = format!("exclude: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(yaml_too_deep(&deep), Some("exclude: ".len() + MAX_YAML_DEPTH));
        let commented = format!("# {}\nexclude: []\n", "[".repeat(1000));
        assert_eq!(yaml_too_deep(&commented), None);
    }
}
