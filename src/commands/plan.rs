//! `plan` and `plan --emit`.

use super::out::print;
use crate::cli::{self, Format, PlanArgs};
use crate::session::{Gate, Session};
use crate::{infer, policy, report, Error, Outcome};

/// `plan`: the session's findings -> project model -> least-privilege plan per credential.
pub fn run(args: PlanArgs) -> Result<Outcome, Error> {
    let session = Session::open(&args.walk, Gate::Narrow)?;
    let plan = infer::plan(&session.scan, &session.rules.knowledge);
    if let (Some(emit), Some(out)) = (args.emit, &args.out) {
        return emit_command(&plan, emit, out, &args);
    }
    print(&match args.format {
        Format::Json => report::plan::json_with_source(
            &plan,
            report::provenance::detect(&args.walk.paths, args.repo_name.as_deref()).as_ref(),
        ),
        Format::Human => report::plan::human(&plan),
        Format::Sarif => {
            return Err(Error::Usage {
                message: "`plan` has no SARIF form".into(),
                help: "use `--format json` for plans; SARIF is for `scan` findings".into(),
            })
        }
    });
    Ok(if plan.credentials.is_empty() { Outcome::Clean } else { Outcome::Findings })
}

/// `plan --emit`: token definitions written under `out`, a one-line summary per file.
fn emit_command(
    plan: &infer::Plan,
    emit: cli::Emit,
    out: &std::path::Path,
    args: &cli::PlanArgs,
) -> Result<Outcome, Error> {
    let opts = policy::validate(&policy::EmitOptions {
        allow_ip: args.allow_ip.clone(),
        expires_on: args.expires_on.clone(),
        user_token: args.user_token,
    })?;
    let tokens = policy::tokens(plan, &opts);
    let files: Vec<(String, String)> = match emit {
        cli::Emit::CloudflareJson => policy::cloudflare::render(&tokens),
        cli::Emit::Terraform => {
            let provider =
                if args.terraform_v4 { policy::terraform::Provider::V4 } else { policy::terraform::Provider::V5 };
            if tokens.is_empty() {
                Vec::new()
            } else {
                vec![("tokens.tf".to_string(), policy::terraform::render(&tokens, provider))]
            }
        }
    };
    std::fs::create_dir_all(out).map_err(|e| Error::Write { path: out.to_path_buf(), source: e })?;
    let mut summary = String::new();
    for (name, text) in &files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| Error::Write { path: path.clone(), source: e })?;
        summary.push_str(&format!("wrote {}\n", path.display()));
    }
    for t in &tokens {
        for n in &t.notes {
            summary.push_str(&format!("note: {}: {n}\n", t.credential));
        }
    }
    let skipped = plan.credentials.len() - tokens.len();
    if skipped > 0 {
        summary.push_str(&format!(
            "{skipped} credential(s) with no inferred permission: no token emitted (see `scopesmith plan`)\n"
        ));
    }
    print(&report::redact::scrub(&summary));
    Ok(if plan.credentials.is_empty() { Outcome::Clean } else { Outcome::Findings })
}
