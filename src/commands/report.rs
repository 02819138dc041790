//! `report`: scan and plan each PATH on its own (one repository each) through the same session
//! as `scan`, read saved results, merge, compare, render.

use super::out::print;
use crate::cli::{ReportArgs, ReportFormat};
use crate::session::{Gate, Session};
use crate::{infer, report, Error, Outcome};

/// `report`: scan and plan each PATH on its own (one repository each), read the saved results,
/// merge, compare, render.
pub fn run(args: ReportArgs) -> Result<Outcome, Error> {
    use report::model::{Report, Repository};
    let (saved, roots): (Vec<_>, Vec<_>) = args.walk.paths.iter().cloned().partition(|p| report::saved::is_saved(p));
    let mut repos = Vec::new();
    for path in &saved {
        repos.push(report::saved::read(path)?);
    }
    let repo_name = if roots.len() == 1 { args.repo_name.as_deref() } else { None };
    for root in &roots {
        let mut walk = args.walk.clone();
        walk.paths = vec![root.clone()];
        let session = Session::open(&walk, Gate::Narrow)?;
        let (result, rules) = (&session.scan, &session.rules);
        let plan = infer::plan_on(result, &rules.knowledge, crate::parallel::threads(walk.threads));
        let source = report::provenance::detect(std::slice::from_ref(root), repo_name);
        let folder = root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.display().to_string());
        let name = repo_name.map(str::to_string).unwrap_or(folder);
        repos.push(Repository::live(name, source, root.display().to_string(), result, &plan));
    }
    let mut doc = Report::new(report::saved::merge(repos));
    if !args.compare.is_empty() {
        let mut previous = Vec::new();
        for path in &args.compare {
            previous.push(report::saved::read(path)?);
        }
        let previous = Report::new(report::saved::merge(previous));
        let label = match previous.repositories.as_slice() {
            [one] => one.label(),
            many => format!("{} saved results", many.len()),
        };
        doc.compare(&previous, label);
    }
    let text = match args.format {
        ReportFormat::Html => report::html::render(&doc),
        ReportFormat::Markdown => report::markdown::render(&doc),
    };
    match &args.out {
        Some(path) => crate::outfile::write(path, text.as_bytes())?,
        None => print(&text),
    }
    Ok(Outcome::Clean)
}
