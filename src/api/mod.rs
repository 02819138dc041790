//! The opt-in online commands: `catalog sync`, `verify` and `mint` (issue 8).
//!
//! Nothing here runs unless one of those commands is given: `scan` and `plan` never touch the
//! network. `client.rs` is the one place that speaks HTTP (TLS only, timeouts, retries,
//! pagination, the v4 envelope, 401/403 turned into "the token lacks X"); `sync.rs`,
//! `verify.rs` and `mint.rs` are each one command's logic over it and return plain data for
//! `lib.rs` to print. Credentials come from environment variables the user names, never from
//! a flag value, and live in [`Secret`](crate::secret::Secret) so no output shows them.

pub mod client;
pub mod commands;
pub mod mint;
pub mod oauth_scopes;
pub mod sync;
pub mod verify;

use miette::Diagnostic;
use thiserror::Error;

pub use client::{Auth, Client, ClientOptions};

/// Why an online command stopped. Messages never carry a credential value.
#[derive(Debug, Error, Diagnostic)]
pub enum ApiError {
    #[error("`{url}` is not a usable API base URL: {reason}")]
    #[diagnostic(
        code(scopesmith::api::base),
        help("use https://...; plain http:// is accepted only for 127.0.0.1, localhost and [::1] (tests)")
    )]
    Base { url: String, reason: String },

    #[error("the environment variable `{name}` is not set or is empty")]
    #[diagnostic(code(scopesmith::api::env), help("{help}"))]
    MissingEnv { name: String, help: String },

    #[error("{what} was refused ({status}): the token lacks the `{needs}` permission")]
    #[diagnostic(
        code(scopesmith::api::permission),
        help("give the token in `{env}` the `{needs}` permission (or use a token that has it); Cloudflare said: {detail}")
    )]
    Denied { what: String, status: u16, needs: String, env: String, detail: String },

    #[error("{what} failed ({status}): {detail}")]
    #[diagnostic(code(scopesmith::api::status), help("see https://developers.cloudflare.com/api/ for the error code"))]
    Status { what: String, status: u16, detail: String },

    #[error("{what} could not be sent")]
    #[diagnostic(code(scopesmith::api::transport), help("check the network, the --api-base URL and --timeout"))]
    Transport {
        what: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("{what}: the response is not the expected Cloudflare v4 JSON: {reason}")]
    #[diagnostic(code(scopesmith::api::decode), help("check that --api-base points at the Cloudflare v4 API"))]
    Decode { what: String, reason: String },

    #[error("{message}")]
    #[diagnostic(code(scopesmith::api::refused))]
    Refused {
        message: String,
        #[help]
        help: String,
    },

    #[error("mint stopped ({cause}); {deleted} token(s) created in this run were deleted again")]
    #[diagnostic(code(scopesmith::api::rolled_back), help("{help}"))]
    RolledBack { cause: String, deleted: usize, help: String },
}

/// The credential in the environment variable `name`, checked to be present.
pub fn secret_from_env(name: &str, needs: &str) -> Result<crate::secret::Secret, ApiError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(crate::secret::Secret::new(v.trim())),
        _ => Err(ApiError::MissingEnv {
            name: name.to_string(),
            help: format!(
                "export a Cloudflare API token with `{needs}` in `{name}`, or name another variable with --token-env; \
                 the token is never taken from a flag value"
            ),
        }),
    }
}
