//! `scopesmith check`: scan and plan the tree, read the policy, compare, render, judge
//! (exit 1 when the code needs something the policy lacks).

use std::path::Path;

use super::out::print;
use crate::cli::{CheckArgs, CheckFormat};
use crate::session::{Gate, Session};
use crate::{Error, Outcome};

pub fn run(args: CheckArgs) -> Result<Outcome, Error> {
    // The config, rules and suppressions, as `plan` applies them.
    let session = Session::open(&args.walk, Gate::Narrow)?;
    let (mut result, rules) = (session.scan, session.rules);
    // The policy file is what is being checked, not a use of the key.
    let policy_real = args.policy.canonicalize().ok();
    let policy_files: Vec<String> = result
        .sources
        .iter()
        .filter(|(_, real)| {
            let real = real.canonicalize().ok();
            policy_real.as_ref().is_some_and(|p| real.as_ref().is_some_and(|r| r == p || r.starts_with(p)))
        })
        .map(|(display, _)| display.clone())
        .collect();
    result.findings.retain(|f| !policy_files.contains(&f.path));
    let plan = crate::infer::plan(&result, &rules.knowledge);
    let tokens = crate::check::policy_file::read(&args.policy, &rules.knowledge)?;
    let mut report = crate::check::check(&plan, &tokens, &args.credential, &rules.knowledge)?;
    let root = args.walk.paths.first().cloned().unwrap_or_else(|| ".".into());
    if let Some(rev) = &args.diff_base {
        let changes = crate::ci::diff::changes(&root, rev)?;
        let changed = |file: &str| relative(&root, Path::new(file)).is_some_and(|rel| changes.files.contains_key(&rel));
        crate::check::narrow(&mut report, &changes, &changed);
        report.diff_base = Some(rev.clone());
    }
    let text = match args.format {
        CheckFormat::Human => crate::check::render::human(&report),
        CheckFormat::Json => crate::check::render::json(&report),
        CheckFormat::Markdown => crate::check::render::markdown(&report),
        CheckFormat::Sarif => {
            let prefix = super::scan::sarif_prefix(&args.walk.paths);
            let policy_uri = |file: &str| {
                let p = Path::new(file);
                let rel = if p.is_absolute() {
                    std::env::current_dir().ok().and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf))
                } else {
                    Some(p.to_path_buf())
                };
                rel.map(|r| r.to_string_lossy().replace('\\', "/").trim_start_matches("./").to_string())
                    .unwrap_or_else(|| file.to_string())
            };
            crate::check::render::sarif(&report, &policy_uri, &prefix)
        }
    };
    print(&text);
    Ok(if report.fails() { Outcome::Findings } else { Outcome::Clean })
}

/// `file` relative to `root`, `/`-separated (as diff paths are), if it lies under it.
fn relative(root: &Path, file: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let file = file.canonicalize().ok()?;
    file.strip_prefix(&root).ok().map(|p| p.to_string_lossy().replace('\\', "/"))
}
