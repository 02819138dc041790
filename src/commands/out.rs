//! The only place that writes to stdout and stderr: commands hand their rendered text here.
//! Every byte passes the secret scrub. (Files are written by `crate::outfile`.)

use std::io::Write;

use crate::report::redact::{scrub, Scrubbed};
use crate::Error;

/// Writes to stdout, through the secret scrub; a closed pipe (`scopesmith scan | head`) ends
/// quietly with exit 0 (as rg does), any other write error with exit 2.
pub fn print(text: &str) {
    print_scrubbed(&Scrubbed::new(text));
}

/// As [`print`], for text already scrubbed.
pub fn print_scrubbed(text: &Scrubbed) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_str().as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        // A full disk or a failing device: the output is incomplete, and the exit code says so.
        eprint_text(&format!("error: cannot write to stdout: {e}\n"));
        std::process::exit(2);
    }
}

/// Writes to stderr, always through the secret scrub (a second scrub of scrubbed text is a
/// no-op, so callers that already scrub lose nothing).
pub(crate) fn eprint_text(text: &str) {
    let _ = std::io::stderr().lock().write_all(scrub(text).as_bytes());
}

/// A command's error as a miette report on stderr, scrubbed like all other output.
pub fn eprint_error(err: Error) {
    eprint_text(&format!("{:?}\n", miette::Report::new(err)));
}
