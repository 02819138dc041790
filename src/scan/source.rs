//! Reads one file for scanning: size cap, binary detection, UTF-16 and invalid UTF-8.
//!
//! Returns the bytes to scan plus at most one warning; never fails the scan.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::finding::{Warning, WarningReason};

/// Bytes inspected for NUL to call a file binary (as git and ripgrep do).
const BINARY_SNIFF: usize = 8 * 1024;

pub enum Content {
    /// Raw bytes in the caller's buffer, not yet known to be UTF-8 (the prefilter runs on
    /// bytes).
    Bytes,
    /// Already decoded (UTF-16 input).
    Text(String),
}

impl Content {
    /// The decoded text: already decoded, or the bytes `read` filled, as UTF-8 (invalid
    /// sequences replaced).
    pub fn into_text(self, bytes: &[u8]) -> std::sync::Arc<str> {
        match self {
            Content::Text(t) => std::sync::Arc::from(t),
            // The strict check first: it skips ASCII a word at a time, the lossy one goes byte
            // by byte, and almost every file is valid.
            Content::Bytes => match std::str::from_utf8(bytes) {
                Ok(valid) => std::sync::Arc::from(valid),
                Err(_) => std::sync::Arc::from(String::from_utf8_lossy(bytes)),
            },
        }
    }
}

pub struct Loaded {
    pub content: Option<Content>,
    pub warning: Option<Warning>,
}

/// Reads `path` into `bytes` (cleared first; a walker thread passes the same buffer for every
/// file, so the common case allocates nothing).
/// `display` names the file in a warning, and is called only for one.
pub fn read(path: &Path, display: &dyn Fn() -> String, max_bytes: u64, bytes: &mut Vec<u8>) -> Loaded {
    let warn =
        |reason, message: String| Loaded { content: None, warning: Some(Warning { path: display(), reason, message }) };
    bytes.clear();
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return warn(WarningReason::Unreadable, format!("cannot open: {e}")),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    bytes.reserve(len.min(max_bytes) as usize);
    // The first block decides about binary files before the rest is read. (A file over the
    // cap is judged after its cut, as below, so that both ways give the same answer.)
    let first = BINARY_SNIFF.min(max_bytes as usize) as u64;
    // A file of known size is read to that size and no further: the read that would only
    // say "end of file" is one system call per file saved. (A size of 0 may be a file system
    // that does not know it: read to the end then.)
    let known = (len > 0).then_some(len.min(max_bytes));
    if let Err(e) = read_up_to(&mut file, known.map_or(first, |k| k.min(first)), bytes) {
        return warn(WarningReason::Unreadable, format!("cannot read: {e}"));
    }
    if len <= max_bytes && !starts_utf16(bytes) && memchr::memchr(0, bytes).is_some() {
        return warn(WarningReason::Binary, "binary file (NUL byte): skipped".into());
    }
    if bytes.len() as u64 == first && known.is_none_or(|k| k > first) {
        if let Err(e) = read_up_to(&mut file, known.unwrap_or(max_bytes), bytes) {
            return warn(WarningReason::Unreadable, format!("cannot read: {e}"));
        }
    }
    let mut warning = None;
    if len > max_bytes || bytes.len() as u64 == max_bytes && file.read(&mut [0u8]).map(|n| n > 0).unwrap_or(false) {
        // Keep whole lines only, so the last line is not a cut-off fragment; one long line
        // (minified code) is cut at a character boundary, so the cut is no invalid UTF-8.
        // A last newline in the first half (a short line, then megabytes of one line) would
        // leave almost nothing: cut that long line instead.
        match memchr::memrchr(b'\n', bytes) {
            Some(nl) if nl + 1 >= bytes.len() / 2 => bytes.truncate(nl + 1),
            _ => bytes.truncate(char_boundary(bytes)),
        }
        warning = Some(Warning {
            path: display(),
            reason: WarningReason::TooLarge,
            message: format!(
                "larger than {}: only the first {} were scanned (raise --max-file-size to scan all)",
                human_size(max_bytes),
                human_size(bytes.len() as u64)
            ),
        });
    }
    if let Some(text) = decode_utf16(bytes) {
        return Loaded { content: Some(Content::Text(text)), warning };
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
        return warn(WarningReason::Binary, "binary file (NUL byte): skipped".into());
    }
    Loaded { content: Some(Content::Bytes), warning }
}

/// Reads until `bytes` holds `total` bytes or the file ends. Through `take`, so that
/// reaching `total` needs no read that only says "end of file".
fn read_up_to(file: &mut File, total: u64, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    let more = total.saturating_sub(bytes.len() as u64);
    file.take(more).read_to_end(bytes).map(|_| ())
}

fn starts_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// The length of `bytes` without a UTF-8 sequence cut off at its end.
fn char_boundary(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(4) {
        let b = bytes[n - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back for the lead
        }
        let need = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if need > back { n - back } else { n };
    }
    n
}

/// UTF-16 with a byte-order mark, as Windows tools write `.ps1` and `.reg` files.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (le, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    let units =
        body.chunks_exact(2).map(
            |c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            },
        );
    Some(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

pub fn human_size(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_character_is_dropped_not_kept_half() {
        let text = "ab\u{e9}\u{2601}\u{1f600}".as_bytes();
        for cut in 0..=text.len() {
            let keep = char_boundary(&text[..cut]);
            assert!(std::str::from_utf8(&text[..keep]).is_ok(), "cut at {cut}");
            assert!(cut - keep < 4);
        }
        // Not UTF-8 at all: left alone.
        assert_eq!(char_boundary(b"ab\xff"), 3);
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "X-Auth-Key: abc".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        assert_eq!(decode_utf16(&bytes).as_deref(), Some("X-Auth-Key: abc"));
    }
}
