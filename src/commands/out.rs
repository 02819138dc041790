//! The only place that writes to stdout and stderr: commands hand their rendered text here.

use std::io::Write;

/// Writes to stdout; a closed pipe (`scopesmith scan | head`) ends quietly with exit 0.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

pub(crate) fn eprint_text(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
