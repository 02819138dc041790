//! The command layer: one file per subcommand. Each opens a [`crate::session::Session`],
//! runs the stages it needs and hands the rendered text to `out.rs`, the only place that
//! prints.

pub mod catalog;
pub mod check;
pub mod explain_denied;
pub mod fix;
pub mod out;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;

use std::io::IsTerminal;

use crate::cli::WalkArgs;

pub fn scan_options(w: &WalkArgs) -> crate::scan::ScanOptions {
    // The walker's threads read and match the files too; 0 lets it pick one per core.
    let threads = w.threads.unwrap_or(0);
    crate::scan::ScanOptions {
        walk: crate::scan::WalkOptions {
            no_ignore: w.no_ignore,
            follow_links: w.follow,
            threads,
            excludes: w.exclude.clone(),
        },
        max_file_size: w.max_file_size.max(1),
        // Only for a person watching: never in CI logs or when stderr is piped.
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        project_index: true,
    }
}
