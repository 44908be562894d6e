//! The schema check before `serve` and `migrate up` touch a database (issue 11, item 7): a
//! database migrated by a newer gatehouse is refused with a message that says what to do
//! (its code might rely on columns this binary does not know), and `serve` applies pending
//! migrations only when `database.migrate_on_start` says so.

use anyhow::bail;
use gatehouse_store::{migrate, Db, Location};

/// Refuse a database that has migrations applied which this binary does not know.
pub async fn refuse_newer_schema(db: &Db, location: &Location) -> anyhow::Result<()> {
    let unknown = migrate::unknown_applied(db).await?;
    if unknown.is_empty() {
        return Ok(());
    }
    let known = migrate::newest_known(location.backend());
    let list: Vec<String> = unknown.iter().map(ToString::to_string).collect();
    bail!(
        "{} has a newer schema than gatehouse {} knows: migration(s) {} are applied, this \
         version knows up to {known}. Run the gatehouse that applied them, or roll them back \
         with it first (`gatehouse migrate down --to {known}`)",
        location.describe(),
        env!("CARGO_PKG_VERSION"),
        list.join(", ")
    );
}

/// `serve`'s start-up: refuse a newer schema, then apply pending migrations or, when
/// `migrate_on_start` is off, refuse to start while any are pending.
pub async fn prepare_for_serve(
    db: &Db,
    location: &Location,
    migrate_on_start: bool,
) -> anyhow::Result<()> {
    refuse_newer_schema(db, location).await?;
    if migrate_on_start {
        migrate::up(db)
            .await
            .map_err(|e| anyhow::anyhow!("applying migrations failed: {e}"))?;
        return Ok(());
    }
    let pending: Vec<String> = migrate::status(db)
        .await?
        .into_iter()
        .filter(|m| !m.applied)
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();
    if !pending.is_empty() {
        bail!(
            "{} has {} pending migration(s) ({}) and database.migrate_on_start is false: run \
             `gatehouse migrate up` first",
            location.describe(),
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(())
}
