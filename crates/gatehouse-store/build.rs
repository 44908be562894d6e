//! Rebuild when a migration file changes: `sqlx::migrate!` embeds the directory at
//! compile time, and Cargo does not otherwise notice new SQL files.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
