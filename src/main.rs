use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits 2 on usage errors by itself.
    let cli = scopesmith::cli::Cli::parse();
    match scopesmith::run(cli) {
        Ok(scopesmith::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(scopesmith::Outcome::Findings) => ExitCode::from(1),
        Err(err) => {
            // Error output excerpts files of the scanned tree: it passes the same scrub as
            // every other byte scopesmith writes.
            scopesmith::eprint_error(err);
            ExitCode::from(2)
        }
    }
}
