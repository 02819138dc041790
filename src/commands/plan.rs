//! `plan` and `plan --emit`.

use super::out::{print, print_scrubbed};
use crate::cli::{self, DataFormat, PlanArgs};
use crate::session::{Gate, Session};
use crate::{infer, policy, report, Error, Outcome};

/// `plan`: the session's findings -> project model -> least-privilege plan per credential.
pub fn run(args: PlanArgs) -> Result<Outcome, Error> {
    let session = Session::open(&args.walk, Gate::Narrow)?;
    let plan = infer::plan_on(&session.scan, &session.rules.knowledge, crate::parallel::threads(session.walk.threads));
    // The process ends after the command: the scan's texts and the plan (hundreds of
    // thousands of small allocations on a large tree) are left to the OS rather than freed
    // one by one, which took a tenth of `plan`'s time on the bench corpus.
    let (session, plan) = (std::mem::ManuallyDrop::new(session), std::mem::ManuallyDrop::new(plan));
    if let (Some(emit), Some(out)) = (args.emit, &args.out) {
        return emit_command(&plan, emit, out, &args, session.rules.synced.as_ref());
    }
    print_scrubbed(&match args.format {
        DataFormat::Json => report::plan::json_with_source(
            &plan,
            report::provenance::detect(&args.walk.paths, args.repo_name.as_deref()).as_ref(),
            crate::parallel::threads(session.walk.threads),
        ),
        DataFormat::Human => report::redact::Scrubbed::new(&report::plan::human(
            &plan,
            session.rules.synced.as_ref().map(|s| s.path.as_path()),
        )),
    });
    // A plan is an answer, not a gate: exit 0 (README, exit codes).
    Ok(Outcome::Clean)
}

/// `plan --emit`: token definitions written under `out`, a one-line summary per file.
fn emit_command(
    plan: &infer::Plan,
    emit: cli::Emit,
    out: &std::path::Path,
    args: &cli::PlanArgs,
    cache: Option<&crate::rules::synced::Synced>,
) -> Result<Outcome, Error> {
    let opts = policy::validate(&policy::EmitOptions {
        allow_ip: args.allow_ip.clone(),
        expires_on: args.expires_on.clone(),
        user_token: args.user_token,
        account_id: args.account_id.clone(),
    })?;
    let tokens = policy::tokens(plan, &opts);
    let mut scope_source = None;
    let files: Vec<(String, String)> = match emit {
        cli::Emit::CloudflareJson => policy::cloudflare::render(&tokens),
        cli::Emit::TemplateUrl => policy::template_url::render(plan),
        cli::Emit::Oauth => {
            // A named file, else what `catalog sync --oauth-scopes` cached, else the table.
            let list =
                args.oauth_scopes.clone().or_else(|| policy::oauth::default_cache_path().filter(|p| p.is_file()));
            let synced = match &list {
                Some(p) => policy::oauth::read_synced(p)?,
                None => Vec::new(),
            };
            scope_source = list.filter(|_| !synced.is_empty());
            policy::oauth::render(plan, &synced)
        }
        cli::Emit::Terraform => {
            let provider =
                if args.terraform_v4 { policy::terraform::Provider::V4 } else { policy::terraform::Provider::V5 };
            if tokens.is_empty() {
                Vec::new()
            } else {
                vec![("tokens.tf".to_string(), policy::terraform::render(&tokens, provider, cache))]
            }
        }
    };
    crate::outfile::create_dir(out)?;
    let mut summary = String::new();
    if files.is_empty() && emit == cli::Emit::Oauth {
        summary.push_str("nothing to write: no credential here is a multi-tenant app collecting its users' keys (see `scopesmith plan`)\n");
    }
    for (name, text) in &files {
        let path = out.join(name);
        crate::outfile::write(&path, text.as_bytes())?;
        summary.push_str(&format!("wrote {}\n", path.display()));
    }
    if let Some(p) = scope_source.filter(|_| !files.is_empty()) {
        summary.push_str(&format!("OAuth scope ids from {}\n", p.display()));
    }
    // Token notes are about token definitions; an OAuth client has its own.
    for t in tokens.iter().filter(|_| emit != cli::Emit::Oauth) {
        for n in &t.notes {
            summary.push_str(&format!("note: {}: {n}\n", t.credential));
        }
    }
    // Only these two carry group ids (a template link and an OAuth client name groups).
    let with_ids = matches!(emit, cli::Emit::CloudflareJson | cli::Emit::Terraform);
    if let (Some(s), true) = (cache, with_ids && !files.is_empty()) {
        summary.push_str(&format!("permission-group ids from the catalog sync cache {}\n", s.path.display()));
    }
    let oauth = plan.credentials.iter().filter(|c| policy::wants_oauth(c)).count();
    if oauth > 0 && emit != cli::Emit::Oauth {
        summary.push_str(&format!(
            "{oauth} credential(s) of an app that collects its users' keys: no single token emitted; use `--emit oauth`\n"
        ));
    }
    let skipped = plan.credentials.len() - tokens.len() - oauth;
    if skipped > 0 {
        summary.push_str(&format!(
            "{skipped} credential(s) with no inferred permission: no token emitted (see `scopesmith plan`)\n"
        ));
    }
    print(&report::redact::scrub(&summary));
    // A plan is an answer, not a gate: exit 0 (README, exit codes).
    Ok(Outcome::Clean)
}
