//! scopesmith: finds uses of Cloudflare's legacy Global API Key and plans the scoped API
//! tokens that replace them.
//!
//! The pipeline is plain data from stage to stage: `scan` (walk, read, detect) produces
//! `Finding`s; `report` renders them. `main.rs` only parses arguments and maps the outcome to
//! an exit code.

#[cfg(feature = "online")]
pub mod api;
pub mod check;
pub mod ci;
pub mod cli;
pub mod commands;
pub mod error;
pub mod explain;
pub mod finding;
pub mod fix;
pub mod history;
pub mod infer;
pub mod limits;
mod online;
pub mod outfile;
pub mod parallel;
pub mod pattern;
pub mod policy;
pub mod project;
pub mod report;
pub mod rules;
pub mod scan;
pub mod secret;
pub mod session;
pub mod units;

// The online commands' progress lines (`catalog sync`, `verify`, `mint`).
#[cfg(feature = "online")]
pub(crate) use commands::out::eprint_text;
pub use commands::out::{eprint_error, print};
pub use commands::scan_options;
pub use error::Error;

use cli::{Cli, Command, RulesCommand};

/// How a command ended, as the process exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report (exit 0).
    Clean,
    /// Findings that fail the gate (exit 1).
    Findings,
}

pub fn run(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Catalog(cli::CatalogCommand::Sync(args)) => online::sync(args),
        Command::Catalog(cli::CatalogCommand::ImportOpenapi { file, out }) => {
            commands::catalog::import_openapi(&file, &out)
        }
        Command::Catalog(cli::CatalogCommand::Generate { root, check }) => commands::catalog::generate(&root, check),
        Command::Verify(args) => online::verify(args),
        Command::Mint(args) => online::mint(args),
        Command::Report(args) => commands::report::run(args),
        Command::Fix(args) => commands::fix::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::ExplainDenied(args) => commands::explain_denied::run(args),
        Command::Rules(RulesCommand::List { rules, format }) => commands::rules::list(&rules, format),
        Command::Rules(RulesCommand::Check { files }) => commands::rules::check(&files),
    }
}
