use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits 2 on usage errors by itself.
    let cli = scopesmith::cli::Cli::parse();
    match scopesmith::run(cli) {
        Ok(scopesmith::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(scopesmith::Outcome::Findings) => ExitCode::from(1),
        Err(err) => {
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(2)
        }
    }
}
