//! Byte offsets of line starts in one file, for offset -> line/column lookups.

pub struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        if starts.len() > 1 && *starts.last().unwrap_or(&0) == text.len() {
            starts.pop();
        }
        // The last line ends before the file's final newline.
        Lines { starts, len: text.strip_suffix('\n').map_or(text.len(), str::len) }
    }

    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }

    pub fn start(&self, line: usize) -> usize {
        self.starts[line.min(self.starts.len() - 1)]
    }

    /// End of `line` (clamped to the last line), before its `\n` / `\r\n`.
    pub fn end(&self, line: usize) -> usize {
        let line = line.min(self.starts.len() - 1);
        match self.starts.get(line + 1) {
            Some(&next) => next - 1,
            None => self.len,
        }
    }

    pub fn text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        text[self.start(line)..self.end(line)].trim_end_matches('\r')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines() {
        let with_newline = "x\ny\n";
        assert_eq!(Lines::new(with_newline).text(with_newline, 1), "y");
        let t = "a\r\nbb\n\nccc";
        let l = Lines::new(t);
        assert_eq!(l.count(), 4);
        assert_eq!(l.line_of(0), 0);
        assert_eq!(l.line_of(3), 1);
        assert_eq!(l.line_of(7), 3);
        assert_eq!(l.text(t, 0), "a");
        assert_eq!(l.text(t, 2), "");
        assert_eq!(l.text(t, 3), "ccc");
    }
}
