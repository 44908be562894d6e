//! `gatehouse admin create-staff --email E [--username U]`: make a staff member, who may
//! use the `/v1/admin` endpoints. An account with that address is promoted (no password is
//! asked). Otherwise a new account is created with a password read from standard input:
//! prompted for without echo on a terminal (echo is turned off with `stty`, so no extra
//! crate is needed), or its first line when piped. The password policy applies.
//!
//! Exit codes: 0 created, promoted or already staff; 1 refused (bad address, weak
//! password, taken username) or failed (database), with one `gatehouse: ...` line.

use crate::cli::AdminAction;
use crate::settings::Settings;
use anyhow::Context;
use gatehouse_core::accounts::{self, StaffGrant};
use gatehouse_core::AccountsError;
use gatehouse_store::migrate;
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

pub async fn run(settings: &Settings, action: AdminAction) -> anyhow::Result<()> {
    let AdminAction::CreateStaff { email, username } = action;
    let location = settings.database_location()?;
    let db = crate::database::connect(settings, &location).await?;
    let pending = migrate::status(&db)
        .await
        .context("cannot read migration state")?
        .iter()
        .any(|m| !m.applied);
    if pending {
        anyhow::bail!("{location} has pending migrations: run `gatehouse migrate up` first");
    }
    // Nothing here signs or encrypts: throwaway keys, so no key file is read or created
    // (password hashes use no key).
    let keys = gatehouse_core::keys::Keys::ephemeral().context("cannot create keys")?;
    let core = gatehouse_core::Core::new(
        db.clone(),
        std::sync::Arc::new(gatehouse_core::SystemClock),
        keys,
        settings.core_config(),
    )
    .context("invalid configuration")?;

    let grant = match accounts::promote_existing(&core, &email)
        .await
        .map_err(refusal)?
    {
        Some(grant) => grant,
        None => {
            let password = read_password()?;
            accounts::create_staff(&core, &email, username.as_deref(), &password)
                .await
                .map_err(refusal)?
        }
    };
    match grant {
        StaffGrant::Created(id) => println!("created staff account {email} ({id})"),
        StaffGrant::Promoted(id) => println!("{email} ({id}) is now a staff member"),
        StaffGrant::AlreadyStaff(id) => println!("{email} ({id}) already is a staff member"),
    }
    db.close().await;
    Ok(())
}

/// The password: prompted for without echo on a terminal, else the first line of stdin.
fn read_password() -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        eprint!("Password for the new staff account: ");
        std::io::stderr().flush().ok();
        let line = without_echo(|| read_line(&stdin))?;
        eprintln!();
        line?
    } else {
        read_line(&stdin)?
    };
    if line.is_empty() {
        anyhow::bail!("no password given on standard input");
    }
    Ok(SecretString::from(line))
}

fn read_line(stdin: &std::io::Stdin) -> anyhow::Result<String> {
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Run `f` with the terminal's echo off; refuse rather than show the password.
fn without_echo<T>(f: impl FnOnce() -> T) -> anyhow::Result<T> {
    let stty = |arg: &str| {
        Command::new("stty")
            .arg(arg)
            .stdin(Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !stty("-echo") {
        anyhow::bail!("cannot turn off the terminal's echo; pipe the password on stdin instead");
    }
    let out = f();
    stty("echo");
    Ok(out)
}

/// One line for a refusal: which field and why, as the API would say.
fn refusal(err: AccountsError) -> anyhow::Error {
    match err {
        AccountsError::Validation(errors) => anyhow::anyhow!(
            "refused: {}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        AccountsError::UsernameTaken => anyhow::anyhow!("refused: this username is taken"),
        AccountsError::EmailTaken => {
            anyhow::anyhow!("refused: an account with this email was created meanwhile; retry")
        }
        other => anyhow::Error::new(other).context("creating the staff account failed"),
    }
}
