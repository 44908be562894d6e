//! The signed-in person's account and profile: read it, change profile fields.

use super::authenticate::{verify_token, AuthContext};
use super::session_cache::CachedSession;
use super::{AccountsError, AccountsResult};
use crate::events::{self, Event};
use crate::state::{ClientInfo, Core};
use chrono::NaiveDate;
use gatehouse_domain::accounts::{parse_language, parse_time_zone, PhoneNumber};
use gatehouse_domain::ids::{SessionId, UserId};
use gatehouse_domain::FieldError;
use gatehouse_store::accounts::users::{self, UserWithProfile};
use gatehouse_store::Executor;
use std::sync::Arc;

/// A change to one field: leave it, clear it, or set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// The profile fields a person may change (the seed's `accounts_profile`).
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub date_of_birth: Patch<NaiveDate>,
    pub phone_number: Patch<String>,
    pub address: Patch<String>,
    pub city: Patch<String>,
    pub state: Patch<String>,
    pub country: Patch<String>,
    pub postal_code: Patch<String>,
    pub timezone: Patch<String>,
    pub language: Patch<String>,
    pub preferred_mfa_method: Patch<String>,
}

/// The account and profile of the holder of `access_token`. The session check is part
/// of the same query (one round trip for the most frequent authenticated call), and what
/// it read is remembered per node until the session, account or profile changes (see
/// `session_cache`).
pub async fn get_me(core: &Core, access_token: &str) -> AccountsResult<UserWithProfile> {
    let claims = verify_token(core, access_token)?;
    let now = core.clock.now();
    let (user_id, session_id) = (UserId(claims.sub), SessionId(claims.sid));
    let cache = &core.session_cache;
    if let Some(view) = cache.get(session_id, user_id, now).and_then(|c| c.view) {
        return Ok(UserWithProfile::clone(&view));
    }
    let read = cache.start_read();
    let mut conn = core.db.reader().await?;
    let (me, expires_at) =
        users::find_with_profile_for_session(conn.exec(), user_id, session_id, now)
            .await?
            .ok_or(AccountsError::Unauthenticated)?;
    let known = CachedSession {
        user_id,
        expires_at,
        view: Some(Arc::new(me.clone())),
    };
    cache.put(read, session_id, known);
    Ok(me)
}

/// Validate and apply a profile change; audit which fields changed (not their values).
#[tracing::instrument(skip_all, fields(user_id = %auth.user_id))]
pub async fn update_profile(
    core: &Core,
    auth: &AuthContext,
    patch: ProfilePatch,
    client: &ClientInfo,
) -> AccountsResult<UserWithProfile> {
    let now = core.clock.now();
    let mut tx = core.db.begin().await?;
    let current = users::find_with_profile(tx.exec(), auth.user_id)
        .await?
        .ok_or(AccountsError::Unauthenticated)?;
    let mut next = current.profile.clone();
    let mut errors = Vec::new();
    let mut changed: Vec<&'static str> = Vec::new();

    let mut text =
        |field: &'static str, patch: Patch<String>, max: usize, slot: &mut Option<String>| {
            let value = match patch {
                Patch::Keep => return,
                Patch::Clear => None,
                Patch::Set(v) => {
                    let v = v.trim().to_owned();
                    if v.is_empty() || v.chars().count() > max {
                        errors.push(FieldError::new(
                            field,
                            "invalid_length",
                            format!("must be 1 to {max} characters"),
                        ));
                        return;
                    }
                    Some(v)
                }
            };
            if *slot != value {
                *slot = value;
                changed.push(field);
            }
        };
    text("first_name", patch.first_name, 100, &mut next.first_name);
    text("last_name", patch.last_name, 100, &mut next.last_name);
    text("address", patch.address, 1000, &mut next.address);
    text("city", patch.city, 100, &mut next.city);
    text("state", patch.state, 100, &mut next.state);
    text("country", patch.country, 100, &mut next.country);
    text("postal_code", patch.postal_code, 20, &mut next.postal_code);

    match patch.phone_number {
        Patch::Keep => {}
        Patch::Clear => set(&mut next.phone_number, None, "phone_number", &mut changed),
        Patch::Set(raw) => match PhoneNumber::parse(&raw) {
            Ok(p) => set(
                &mut next.phone_number,
                Some(p.into_string()),
                "phone_number",
                &mut changed,
            ),
            Err(e) => errors.push(e),
        },
    }
    match patch.date_of_birth {
        Patch::Keep => {}
        Patch::Clear => set(&mut next.date_of_birth, None, "date_of_birth", &mut changed),
        Patch::Set(d) => {
            let today = now.date_naive();
            if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) {
                errors.push(FieldError::new(
                    "date_of_birth",
                    "invalid_date",
                    "must be between 1900-01-01 and today",
                ));
            } else {
                set(
                    &mut next.date_of_birth,
                    Some(d),
                    "date_of_birth",
                    &mut changed,
                );
            }
        }
    }
    match patch.timezone {
        Patch::Keep => {}
        Patch::Clear => set_required(
            &mut next.timezone,
            "UTC".to_owned(),
            "timezone",
            &mut changed,
        ),
        Patch::Set(raw) => match parse_time_zone(&raw) {
            Ok(tz) => set_required(&mut next.timezone, tz, "timezone", &mut changed),
            Err(e) => errors.push(e),
        },
    }
    match patch.language {
        Patch::Keep => {}
        Patch::Clear => set_required(
            &mut next.language,
            "en".to_owned(),
            "language",
            &mut changed,
        ),
        Patch::Set(raw) => match parse_language(&raw) {
            Ok(lang) => set_required(&mut next.language, lang, "language", &mut changed),
            Err(e) => errors.push(e),
        },
    }
    match patch.preferred_mfa_method {
        Patch::Keep => {}
        Patch::Clear => set(
            &mut next.preferred_mfa_method,
            None,
            "preferred_mfa_method",
            &mut changed,
        ),
        Patch::Set(m) if ["totp", "email", "sms"].contains(&m.as_str()) => set(
            &mut next.preferred_mfa_method,
            Some(m),
            "preferred_mfa_method",
            &mut changed,
        ),
        Patch::Set(_) => errors.push(FieldError::new(
            "preferred_mfa_method",
            "invalid_mfa_method",
            "must be one of totp, email, sms",
        )),
    }
    if !errors.is_empty() {
        return Err(AccountsError::Validation(errors));
    }
    if changed.is_empty() {
        return Ok(current);
    }
    next.updated_at = now;
    users::update_profile(tx.exec(), &next).await?;
    events::record(
        &mut tx,
        core,
        now,
        client,
        Event::ProfileUpdated {
            user_id: auth.user_id,
            session_id: auth.session_id,
            changed_fields: &changed,
        },
    )
    .await?;
    tx.commit().await?;
    core.session_cache.forget_user(auth.user_id);
    Ok(UserWithProfile {
        user: current.user,
        profile: next,
        reenrolment_required: current.reenrolment_required,
    })
}

fn set<T: PartialEq>(
    slot: &mut Option<T>,
    value: Option<T>,
    field: &'static str,
    changed: &mut Vec<&'static str>,
) {
    if *slot != value {
        *slot = value;
        changed.push(field);
    }
}

fn set_required(
    slot: &mut String,
    value: String,
    field: &'static str,
    changed: &mut Vec<&'static str>,
) {
    if *slot != value {
        *slot = value;
        changed.push(field);
    }
}
