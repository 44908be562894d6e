//! Failed-login limits per account and per client address (DESIGN §5, NIST 800-63B
//! 5.2.2), on the shared counters in `gatehouse_store::throttle`.

use crate::state::Core;
use chrono::{DateTime, Duration, Utc};
use gatehouse_store::{throttle, Executor, StoreError};
use std::net::IpAddr;

/// The counter keys of one login attempt.
#[derive(Debug, Clone)]
pub struct AttemptKeys {
    pub account: String,
    pub ip: String,
}

impl AttemptKeys {
    /// `account_id` is the user id when the login names an existing account, otherwise
    /// a keyed hash of the login text (unknown accounts lock the same way, so lockouts
    /// do not reveal which accounts exist). IPv6 clients are grouped by /64; an IPv4
    /// client that reaches a dual-stack listener as an IPv4-mapped or IPv4-compatible
    /// IPv6 address counts as the IPv4 address it carries (else every IPv4 client would
    /// share one /64 bucket).
    pub fn new(account_id: &str, ip: Option<IpAddr>) -> Self {
        Self {
            account: format!("acct:{account_id}"),
            ip: format!("ip:{}", address_group(ip)),
        }
    }

    /// The keys of a login from a known client (a valid device token, see
    /// `accounts::device_token`): its failures count against its own counter instead of
    /// the account's, so failures from elsewhere cannot lock it out.
    pub fn for_known_client(counter_id: &str, ip: Option<IpAddr>) -> Self {
        Self {
            account: format!("client:{counter_id}"),
            ip: format!("ip:{}", address_group(ip)),
        }
    }

    /// The keys of a password check inside a signed-in session (a password change): the
    /// session is a known client, so the account lock others can trip does not apply to
    /// it; its own wrong guesses count against the session.
    pub fn for_session(session_id: gatehouse_domain::ids::SessionId, ip: Option<IpAddr>) -> Self {
        Self {
            account: format!("session:{session_id}"),
            ip: format!("ip:{}", address_group(ip)),
        }
    }
}

/// The unit a per-address limit counts: the IPv4 address, or the IPv6 /64 (one host
/// usually owns a whole /64), after [`client_address`].
fn address_group(ip: Option<IpAddr>) -> String {
    match ip.map(client_address) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

/// The address a client really has: IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) and
/// the deprecated IPv4-compatible (`::a.b.c.d`) forms become the IPv4 address; `::` and
/// `::1` stay IPv6.
pub fn client_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let is_compatible = v6.segments()[..6].iter().all(|s| *s == 0)
                && !v6.is_unspecified()
                && !v6.is_loopback();
            match v6.to_ipv4() {
                Some(v4) if is_compatible => IpAddr::V4(v4),
                _ => ip,
            }
        }
        IpAddr::V4(_) => ip,
    }
}

/// The verdict on an attempt before the password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Locked until the given time. `newly_locked_account` is true when this attempt
    /// tripped the lock of the attempt's account counter (the account, or a known client's
    /// own), `newly_locked_ip` when it tripped the address lock: audit each once.
    Locked {
        until: DateTime<Utc>,
        newly_locked_account: bool,
        newly_locked_ip: bool,
    },
}

/// Count an attempt (before verifying the password) and decide whether it may proceed.
pub async fn check_attempt(core: &Core, keys: &AttemptKeys) -> Result<Verdict, StoreError> {
    let limits = core.config.throttle;
    let now = core.clock.now();
    let window = |d: std::time::Duration| now - Duration::from_std(d).unwrap_or(Duration::hours(1));
    let mut conn = core.db.writer().await?;
    let states = throttle::record_attempt(
        conn.exec(),
        &keys.account,
        &keys.ip,
        now,
        window(limits.account_window),
        window(limits.ip_window),
    )
    .await?;
    let lockout = Duration::from_std(limits.lockout).unwrap_or(Duration::minutes(15));
    let mut locked_until: Option<DateTime<Utc>> = None;
    let (mut newly_account, mut newly_ip) = (false, false);
    for state in states {
        let is_account = state.key == keys.account;
        if let Some(until) = state.locked_until.filter(|u| *u > now) {
            locked_until = Some(locked_until.map_or(until, |u| u.max(until)));
            continue;
        }
        let limit = if is_account {
            limits.account_max_failures
        } else {
            limits.ip_max_failures
        };
        if state.failures > limit as i32 {
            let until = now + lockout;
            let newly = throttle::lock(conn.exec(), &state.key, until, now).await?;
            if is_account {
                newly_account |= newly;
            } else {
                newly_ip |= newly;
            }
            locked_until = Some(locked_until.map_or(until, |u| u.max(until)));
        }
    }
    Ok(match locked_until {
        Some(until) => Verdict::Locked {
            until,
            newly_locked_account: newly_account,
            newly_locked_ip: newly_ip,
        },
        None => Verdict::Allowed,
    })
}

/// Count one password-change attempt of `user_id` against its hourly allowance, before
/// any hashing: a change costs up to `1 + history` Argon2id runs, so a signed-in caller
/// (or a stolen session) must not be able to make the server hash without limit. Right and
/// wrong attempts count alike. `Err(retry_after_secs)` when the allowance is spent.
pub async fn count_password_change(
    core: &Core,
    user_id: gatehouse_domain::ids::UserId,
) -> Result<Result<(), u64>, StoreError> {
    let key = format!("pwchange:{user_id}");
    count_per_hour(core, &key, core.config.password_changes_per_hour).await
}

/// Count one sign-up from `ip` (IPv6 by /64) against the hourly allowance of an address,
/// before the password is hashed. `Err(retry_after_secs)` when it is spent.
pub async fn count_signup(core: &Core, ip: Option<IpAddr>) -> Result<Result<(), u64>, StoreError> {
    let key = format!("signup:ip:{}", address_group(ip));
    count_per_hour(core, &key, core.config.signups_per_address_per_hour).await
}

/// Count one password-reset request from `ip` and for `email` (its keyed hash, so the
/// counters hold no addresses), before anything else is done: one client must not make
/// the server hash or mail without limit, and no inbox may be flooded with reset links.
/// Both counters move whether or not an account has the address, so a refusal reveals
/// nothing. `Err(retry_after_secs)` when either allowance is spent.
pub async fn count_password_reset(
    core: &Core,
    ip: Option<IpAddr>,
    email_hash: &str,
) -> Result<Result<(), u64>, StoreError> {
    let limits = &core.config.accounts;
    let by_address = format!("pwreset:ip:{}", address_group(ip));
    let by_email = format!("pwreset:email:{email_hash}");
    let address = count_per_hour(
        core,
        &by_address,
        limits.password_resets_per_address_per_hour,
    );
    let address = address.await?;
    let email = count_per_hour(core, &by_email, limits.link_mails_per_email_per_hour).await?;
    Ok(address.and(email))
}

/// Count one message with a link the signed-in person asked for (a resent verification,
/// a change of address) against the account's hourly allowance.
pub async fn count_link_mail(
    core: &Core,
    user_id: gatehouse_domain::ids::UserId,
) -> Result<Result<(), u64>, StoreError> {
    let key = format!("linkmail:{user_id}");
    count_per_hour(
        core,
        &key,
        core.config.accounts.link_mails_per_email_per_hour,
    )
    .await
}

/// One event against `key`'s hourly allowance of `limit`.
async fn count_per_hour(core: &Core, key: &str, limit: u32) -> Result<Result<(), u64>, StoreError> {
    let now = core.clock.now();
    let window = Duration::hours(1);
    let mut conn = core.db.writer().await?;
    let state = throttle::count_event(conn.exec(), key, now, now - window).await?;
    if state.failures > i32::try_from(limit).unwrap_or(i32::MAX) {
        // The window restarts an hour after its first event: a conservative answer is
        // the whole hour.
        return Ok(Err(window.num_seconds().max(1) as u64));
    }
    Ok(Ok(()))
}

/// After a successful login or password check: run inside the transaction of what the
/// success leads to, so the reset commits with it.
pub async fn record_success(
    ex: gatehouse_store::Exec<'_>,
    keys: &AttemptKeys,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    throttle::record_success(ex, &keys.account, &keys.ip, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_in_ipv6_clothing_counts_as_ipv4_and_real_ipv6_by_64() {
        let key = |ip: &str| AttemptKeys::new("u", Some(ip.parse().unwrap())).ip;
        assert_eq!(key("::ffff:203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("::203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("203.0.113.7"), "ip:203.0.113.7");
        assert_ne!(key("::ffff:203.0.113.7"), key("::ffff:203.0.113.8"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_eq!(key("::1"), "ip:0:0:0:0::/64");
        assert_eq!(key("::"), "ip:0:0:0:0::/64");
    }
}
