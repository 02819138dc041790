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
