//! `fix`: the session's plan -> patches (shown as a diff, or written with `--apply`).

use std::io::IsTerminal;

use super::out::{eprint_text, print};
use crate::cli::FixArgs;
use crate::session::{Gate, Session};
use crate::{fix, infer, report, Error, Outcome};

pub fn run(args: FixArgs) -> Result<Outcome, Error> {
    let session = Session::open(&args.walk, Gate::Narrow)?;
    let plan = infer::plan_on(&session.scan, &session.rules.knowledge, crate::parallel::threads(session.walk.threads));
    let fixes = fix::plan(&session.scan, &plan, &session.rules.knowledge.rewrites);
    if args.apply {
        let written = fix::apply(&fixes, &args.walk.paths)?;
        eprint_text(&report::redact::scrub(&fix::summary(&fixes, Some(written))));
    } else {
        let diff = fix::diff_at(&fixes, &fix::paths::repo_prefix(&args.walk.paths));
        // On a terminal the tree's control characters are shown, not obeyed; a pipe
        // (`| git apply`) gets the exact bytes.
        print(&if std::io::stdout().is_terminal() { report::escape::controls_per_line(&diff) } else { diff });
        eprint_text(&report::redact::scrub(&fix::summary(&fixes, None)));
    }
    // Findings are `scan`'s business: a fix that succeeded exits 0.
    Ok(Outcome::Clean)
}
