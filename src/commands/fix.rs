//! `fix`: the session's plan -> patches (shown as a diff, or written with `--apply`).

use super::out::{eprint_text, print};
use crate::cli::FixArgs;
use crate::session::{Gate, Session};
use crate::{fix, infer, report, Error, Outcome};

pub fn run(args: FixArgs) -> Result<Outcome, Error> {
    let session = Session::open(&args.walk, Gate::Narrow)?;
    let plan = infer::plan(&session.scan, &session.rules.knowledge);
    let fixes = fix::plan(&session.scan, &plan);
    if args.apply {
        let written = fix::apply(&fixes, &args.walk.paths)?;
        eprint_text(&report::redact::scrub(&fix::summary(&fixes, Some(written))));
    } else {
        print(&fix::diff(&fixes));
        eprint_text(&report::redact::scrub(&fix::summary(&fixes, None)));
    }
    Ok(if fixes.edits.is_empty() { Outcome::Clean } else { Outcome::Findings })
}
