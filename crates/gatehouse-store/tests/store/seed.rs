//! Rows the tests start from, written through the store's own functions, and the fixed
//! instant every test's timeline starts at.

use chrono::{DateTime, Duration, TimeZone, Utc};
use gatehouse_domain::accounts::SessionType;
use gatehouse_domain::audit::SessionAction;
use gatehouse_domain::ids::{SessionId, TokenFamilyId, UserId};
use gatehouse_domain::risk::RiskLevel;
use gatehouse_store::accounts::refresh_tokens::{self, NewRefreshToken, Rotated, Rotation};
use gatehouse_store::accounts::sessions::{self, NewSession};
use gatehouse_store::accounts::users::{self, UserRow};
use gatehouse_store::audit::SessionAuditEntry;
use gatehouse_store::{Db, Executor};
use uuid::Uuid;

/// Where every test's timeline starts.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).single().unwrap()
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

/// An active account.
pub async fn user(db: &Db) -> UserId {
    let id = UserId::new();
    let row = UserRow {
        id,
        email: format!("{}@example.test", id.as_uuid().simple()),
        username: None,
        password_hash: "$argon2id$test".to_owned(),
        is_active: true,
        is_staff: false,
        is_superuser: false,
        last_login_at: None,
        locked_until: None,
        email_verified_at: None,
        created_at: t0(),
        updated_at: t0(),
    };
    let mut tx = db.begin().await.unwrap();
    users::insert_with_profile(tx.exec(), &row, Uuid::now_v7())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// An active session of `user_id`, started at [`t0`] with a password, ending at
/// `expires_at`.
pub async fn session(db: &Db, user_id: UserId, expires_at: DateTime<Utc>) -> SessionId {
    session_with_amr(db, user_id, expires_at, &["pwd"]).await
}

/// An active session of `user_id` that proved `amr` (RFC 8176 methods) at [`t0`].
pub async fn session_with_amr(
    db: &Db,
    user_id: UserId,
    expires_at: DateTime<Utc>,
    amr: &[&str],
) -> SessionId {
    insert_session(db, user_id, expires_at, amr, false).await
}

/// An active password session of `user_id` whose login asked to be remembered.
pub async fn remembered_session(db: &Db, user_id: UserId, expires_at: DateTime<Utc>) -> SessionId {
    insert_session(db, user_id, expires_at, &["pwd"], true).await
}

async fn insert_session(
    db: &Db,
    user_id: UserId,
    expires_at: DateTime<Utc>,
    amr: &[&str],
    remember_me: bool,
) -> SessionId {
    let id = SessionId::new();
    let amr: Vec<String> = amr.iter().map(|m| (*m).to_owned()).collect();
    let access_jti = Uuid::now_v7().to_string();
    let refresh_jti = Uuid::now_v7().to_string();
    let mut conn = db.writer().await.unwrap();
    sessions::insert(
        conn.exec(),
        &NewSession {
            id,
            user_id,
            device_id: None,
            access_jti: &access_jti,
            refresh_jti: &refresh_jti,
            ip_address: None,
            user_agent: Some("store tests"),
            session_type: SessionType::Web,
            amr: &amr,
            authenticated_at: t0(),
            mfa_verified: amr.len() > 1,
            remember_me,
            expires_at,
            now: t0(),
        },
    )
    .await
    .unwrap();
    id
}

/// A valid refresh token `jti` (the stored hash) of a session, in a family of its own.
/// Returns the family id.
pub async fn refresh_token(
    db: &Db,
    user_id: UserId,
    session_id: SessionId,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> TokenFamilyId {
    let family_id = TokenFamilyId::new();
    let mut conn = db.writer().await.unwrap();
    refresh_tokens::insert(
        conn.exec(),
        &NewRefreshToken {
            id: Uuid::now_v7(),
            user_id,
            session_id,
            jti,
            family_id,
            parent_jti: None,
            expires_at,
            now: t0(),
        },
    )
    .await
    .unwrap();
    family_id
}

/// How much longer [`rotate`] asks a remembered session's token to last.
pub const REMEMBERED_EXTRA_DAYS: i64 = 7;

/// Rotate `presented` into `new_jti` at `now`, asking for a new expiry of `new_expires_at`
/// (a week later for a remembered session: [`REMEMBERED_EXTRA_DAYS`]); the audit row is core's `token_refreshed` (its user is filled in by the rotation).
pub async fn rotate(
    db: &Db,
    presented: &str,
    new_jti: &str,
    new_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Rotated> {
    let access_jti = format!("access-{new_jti}");
    let audit = SessionAuditEntry::new(
        UserId(Uuid::nil()),
        SessionAction::TokenRefreshed,
        RiskLevel::Low,
        None,
    );
    refresh_tokens::rotate(
        db,
        &Rotation {
            presented_jti: presented,
            new_jti,
            new_token_id: Uuid::now_v7(),
            new_access_jti: &access_jti,
            new_expires_at,
            remember_me_expires_at: new_expires_at + chrono::Duration::days(REMEMBERED_EXTRA_DAYS),
            audit_id: Uuid::now_v7(),
            audit: &audit,
            now,
        },
    )
    .await
    .unwrap()
}
