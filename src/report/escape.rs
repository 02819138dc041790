//! Text from the scanned tree (file names, source lines, variable names) on its way to a
//! terminal or a report file: control characters are shown, not obeyed. An ESC in a file name
//! would otherwise set the window title, move the cursor or plant an OSC 8 link; a bidi
//! override would make a line read differently from what it is.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is shown as an escape: C0 controls but tab, DEL, C1 controls, bidi controls.
fn hostile(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with each hostile character written as `\x1b` / `\u{202e}`; newlines too, so one
/// name or line stays one line.
pub fn controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hostile(c) {
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A multi-line text (a diff) for a terminal: each line's hostile characters escaped, the
/// line breaks kept.
pub fn controls_per_line(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            let (body, nl) = l.strip_suffix('\n').map_or((l, ""), |b| (b, "\n"));
            format!("{}{nl}", controls(body))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue13_item14_escapes_are_shown_not_obeyed() {
        assert_eq!(controls("plain\tline"), "plain\tline");
        assert_eq!(controls("a\u{1b}]0;pwned\u{7}b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(controls("x\u{202e}y\r\nz"), "x\\u{202e}y\\x0d\\x0az");
        assert_eq!(controls("é\u{9b}"), "é\\x9b");
        assert_eq!(controls_per_line("+a\u{1b}[2J\n-b\n"), "+a\\x1b[2J\n-b\n");
    }
}
