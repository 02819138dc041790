//! The online commands (`catalog sync`, `verify`, `mint`) as `lib.rs` dispatches them: the
//! real ones when built with the default `online` feature, otherwise an error that says how
//! to get them. The subcommands stay in `--help` either way, so scripts see one CLI shape.

#[cfg(feature = "online")]
pub use crate::api::commands::{mint, sync, verify};

#[cfg(not(feature = "online"))]
mod offline {
    use crate::cli::{MintArgs, SyncArgs, VerifyArgs};
    use crate::{Error, Outcome};

    fn unavailable(command: &str) -> Error {
        Error::Usage {
            message: format!("`{command}` needs the network, and this scopesmith was built without it"),
            help: "rebuild with the default features (`cargo install scopesmith`, without --no-default-features) or use a release binary".into(),
        }
    }

    pub fn sync(_: SyncArgs) -> Result<Outcome, Error> {
        Err(unavailable("catalog sync"))
    }

    pub fn verify(_: VerifyArgs) -> Result<Outcome, Error> {
        Err(unavailable("verify"))
    }

    pub fn mint(_: MintArgs) -> Result<Outcome, Error> {
        Err(unavailable("mint"))
    }
}

#[cfg(not(feature = "online"))]
pub use offline::{mint, sync, verify};
