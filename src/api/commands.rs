//! The online commands as `lib.rs` runs them: arguments to client, consent, the library
//! calls of `sync.rs`, `verify.rs` and `mint.rs`, and the rendered result to stdout/stderr.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use super::client::{Client, ClientOptions};
use super::{mint, secret_from_env, sync, verify, ApiError};
use crate::cli::{DataFormat, MintArgs, NetArgs, SyncArgs, VerifyArgs};
use crate::report::online as render;
use crate::report::redact::scrub;
use crate::rules::RuleSet;
use crate::{eprint_text, print, Error, Outcome};

fn client(net: &NetArgs, token_env: &str) -> Result<Client, Error> {
    let timeout = Duration::from_secs(net.timeout.max(1));
    let opts = ClientOptions {
        base: net.api_base.clone(),
        timeout,
        connect_timeout: timeout.min(Duration::from_secs(10)),
        max_wait: Duration::from_millis(net.max_retry_wait_ms),
        token_env: token_env.to_string(),
        ..ClientOptions::default()
    };
    let log: Box<dyn Fn(&str)> = if net.verbose {
        Box::new(|line: &str| eprint_text(&format!("scopesmith: {}\n", scrub(line))))
    } else {
        Box::new(|_: &str| {})
    };
    Ok(Client::new(opts, log)?.with_warn(Box::new(|line: &str| eprint_text(&format!("warning: {line}\n")))))
}

pub fn sync(args: SyncArgs) -> Result<Outcome, Error> {
    let rules = RuleSet::load(&args.rules)?;
    let out = args.out.clone().or_else(sync::default_cache_path).ok_or_else(|| Error::Usage {
        message: "no cache directory is known (neither XDG_CACHE_HOME nor HOME is set)".into(),
        help: "name the cache file with --out FILE".into(),
    })?;
    let client = client(&args.net, &args.token_env)?;
    let token = secret_from_env(&args.token_env, sync::NEEDS)?;
    let report = sync::sync(&client, &token, &rules.knowledge, &out)?;
    print(&render::sync(&report));
    if args.oauth_scopes {
        let path = out.with_file_name(crate::policy::oauth::CACHE_FILE);
        let scopes = super::oauth_scopes::fetch(&client, &token)?;
        crate::policy::oauth::write_cache(&path, client.base(), &scopes)?;
        print(&scrub(&format!("wrote {} OAuth scopes to {}\n", scopes.len(), path.display())));
    }
    Ok(Outcome::Clean)
}

pub fn verify(args: VerifyArgs) -> Result<Outcome, Error> {
    if let Some(id) = &args.account_id {
        crate::policy::check_account_id(id)?;
    }
    // The same session as `scan`: excluded and suppressed keys are not tried either.
    let session = crate::session::Session::open(&args.walk, crate::session::Gate::Narrow)?;
    let result = session.scan;
    let candidates = verify::candidates(&result, args.email_env.as_deref(), &args.env);
    let client = client(&args.net, "")?;
    let account = args.account_id.as_deref();
    let sending: Vec<&verify::Candidate> = candidates.iter().filter(|c| c.request(account).is_some()).collect();
    // The list is shown before anything is sent, asked about or not.
    if !sending.is_empty() {
        let listing = render::verify_consent(client.base(), &sending, account);
        if args.yes {
            eprint_text(&listing);
        } else {
            consent(&listing)?;
        }
    }
    let mut verdicts = Vec::new();
    for c in &candidates {
        verdicts.push(verify::check(&client, c, account)?);
    }
    print(&match args.format {
        DataFormat::Json => render::verify_json(&verdicts),
        DataFormat::Human => render::verify_human(&verdicts),
    });
    let live = verdicts.iter().any(|v| v.status == verify::Status::LiveGlobalKey);
    Ok(if live { Outcome::Findings } else { Outcome::Clean })
}

/// Asks on the terminal; refuses when there is none to ask on.
fn consent(listing: &str) -> Result<(), Error> {
    let refused = |message: &str| ApiError::Refused {
        message: message.to_string(),
        help: "verify sends each credential to the Cloudflare API; run it in a terminal to be asked, or pass --yes"
            .into(),
    };
    if !std::io::stdin().is_terminal() {
        return Err(refused("verify needs consent and there is no terminal to ask on").into());
    }
    eprint_text(listing);
    eprint_text("Send these requests? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(refused("nothing was sent: verification declined").into())
    }
}

pub fn mint(args: MintArgs) -> Result<Outcome, Error> {
    let plan = mint::read_plan(&args.plan)?;
    // The same rules and synced ids as `plan`, with `--catalog` naming another cache.
    let rules = RuleSet::load_synced(&args.rules, crate::parallel::threads(None), args.catalog.as_deref())?;
    if let Some(id) = &args.account_id {
        crate::policy::check_account_id(id)?;
    }
    let owner = match (&args.account_id, args.user_token) {
        (_, true) => mint::Owner::User { account_id: args.account_id.clone() },
        (Some(id), false) => mint::Owner::Account(id.clone()),
        (None, false) => {
            return Err(Error::Usage {
                message: "mint needs the account that will own the tokens".into(),
                help: "pass --account-id ID (account-owned tokens), or --user-token to create user tokens".into(),
            })
        }
    };
    let (reqs, notes) = mint::requests_with(&plan, &rules.knowledge, rules.synced.as_ref(), &owner, args.dry_run)?;
    for n in &notes {
        eprint_text(&scrub(&format!("note: {n}\n")));
    }
    let client = client(&args.net, &args.token_env)?;
    if args.dry_run {
        print(&render::mint_dry_run(&client, &owner, &reqs, &args.token_env));
        return Ok(Outcome::Clean);
    }
    if args.out_dir.is_none() && !args.stdout {
        return Err(Error::Usage {
            message: "mint needs to know where the new token values go".into(),
            help: "pass --out-dir DIR (one 0600 file per token) or --stdout".into(),
        });
    }
    if let Some(dir) = &args.out_dir {
        mint::token_files(dir, &reqs)?;
    }
    let token = secret_from_env(&args.token_env, owner.needs_write())?;
    let out_dir = args.out_dir.clone();
    let mut deliver = |minted: &[mint::Minted]| -> Result<(), Error> {
        match &out_dir {
            Some(dir) => mint::write_token_files(dir, minted),
            None => {
                // The one place a secret is printed in full, because the user asked for it.
                // Not `print`: that would scrub the value, and a closed pipe or a full disk must
                // fail the run (so `mint` deletes the tokens) instead of ending it with exit 0.
                let mut text = String::new();
                for m in minted {
                    text.push_str(&format!("{}\t{}\n", m.name, m.value.expose()));
                }
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|_| out.flush()).map_err(|source| Error::Write {
                    path: format!(
                        "stdout (the values of {})",
                        minted.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                    )
                    .into(),
                    source,
                })
            }
        }
    };
    let outcome = mint::mint(&client, &token, &owner, &reqs, &mut deliver)?;
    eprint_text(&render::mint_summary(&outcome, args.out_dir.as_deref()));
    Ok(Outcome::Clean)
}
