//! `scopesmith explain-denied "ERROR TEXT" [PATH]`: the session's plan, the policy if given,
//! and the explanation of the error (`crate::explain`) rendered.

use super::out::print;
use crate::cli::{DataFormat, ExplainArgs};
use crate::explain;
use crate::session::{Gate, Session};
use crate::{Error, Outcome};

pub fn run(args: ExplainArgs) -> Result<Outcome, Error> {
    // The config, rules and suppressions, as `plan` applies them.
    let session = Session::open(&args.walk, Gate::Narrow)?;
    let rules = &session.rules;
    let plan = crate::infer::plan_on(&session.scan, &rules.knowledge, crate::parallel::threads(session.walk.threads));
    let report = match &args.policy {
        Some(p) => {
            let tokens = crate::check::policy_file::read(p, &rules.knowledge)?;
            // Which credential got the error is not known: judge the policy against every call.
            let all: Vec<String> = plan.credentials.iter().map(|c| c.name.clone()).collect();
            Some(crate::check::check(&plan, &tokens, &all, &rules.knowledge)?)
        }
        None => None,
    };
    let x = explain::explain(explain::parse(&args.error), &plan, &rules.knowledge, report.as_ref());
    let text = match args.format {
        DataFormat::Json => {
            let mut t = serde_json::to_string_pretty(&x).expect("explanations always serialise");
            t.push('\n');
            crate::report::redact::scrub(&t)
        }
        DataFormat::Human => explain::human(&x),
    };
    print(&text);
    Ok(if x.suspects.is_empty() { Outcome::Clean } else { Outcome::Findings })
}
