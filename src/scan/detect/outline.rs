//! The indentation outline of one file: for each line, the nearest line above it that is less
//! indented (the line that opens its block). Built once per file on first use, in one pass,
//! so `ancestor:` rules cost the same for the ten-thousandth finding as for the first.

use std::cell::OnceCell;

use crate::scan::lines::Lines;

/// How many enclosing blocks an `ancestor:` rule looks through; deeper nesting than this is
/// not configuration a person wrote.
const MAX_ANCESTORS: usize = 64;

#[derive(Default)]
pub(super) struct Outline {
    parents: OnceCell<Vec<Option<u32>>>,
}

impl Outline {
    pub(super) fn new() -> Outline {
        Outline::default()
    }

    /// The lines that open the blocks enclosing `line`, innermost first: each less indented
    /// than the one below it. Blank lines are never parents; nothing encloses a line at
    /// indent 0.
    pub(super) fn ancestors<'t>(
        &'t self,
        text: &'t str,
        lines: &'t Lines,
        line: usize,
    ) -> impl Iterator<Item = &'t str> + 't {
        let parents = self.parents.get_or_init(|| build(text, lines));
        let mut at = if indent(lines.text(text, line)) == 0 { None } else { parents.get(line).copied().flatten() };
        std::iter::from_fn(move || {
            let l = at? as usize;
            let t = lines.text(text, l);
            at = if indent(t) == 0 { None } else { parents[l] };
            Some(t)
        })
        .take(MAX_ANCESTORS)
    }
}

fn indent(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// One pass with a stack of open blocks (strictly increasing indents).
fn build(text: &str, lines: &Lines) -> Vec<Option<u32>> {
    let mut parents = Vec::with_capacity(lines.count());
    let mut open: Vec<(usize, u32)> = Vec::new();
    for l in 0..lines.count() {
        let t = lines.text(text, l);
        let i = indent(t);
        // A blank line closes no block (and its own parent is never asked for).
        if t.trim().is_empty() {
            parents.push(open.last().map(|&(_, pl)| pl));
            continue;
        }
        while open.last().is_some_and(|&(oi, _)| oi >= i) {
            open.pop();
        }
        parents.push(open.last().map(|&(_, pl)| pl));
        open.push((i, l as u32));
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition the outline replaces: walk up from the line, each step less indented.
    fn naive(text: &str, lines: &Lines, line: usize) -> Vec<String> {
        let mut current = indent(lines.text(text, line));
        let mut out = Vec::new();
        for l in (0..line).rev() {
            let t = lines.text(text, l);
            if current == 0 {
                break;
            }
            if t.trim().is_empty() {
                continue;
            }
            if indent(t) < current {
                current = indent(t);
                out.push(t.to_string());
            }
        }
        out
    }

    #[test]
    fn matches_the_walk_up_definition() {
        let text = "a:\n  b:\n    c: 1\n\n    d: 2\n  e:\n      f: 3\n   g: 4\nh:\n  i: 5\n";
        let lines = Lines::new(text);
        let o = Outline::new();
        for l in 0..lines.count() {
            let got: Vec<String> = o.ancestors(text, &lines, l).map(str::to_string).collect();
            assert_eq!(got, naive(text, &lines, l), "line {l}");
        }
    }
}
