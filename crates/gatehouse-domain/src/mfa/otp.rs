//! One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) over HMAC-SHA1, -SHA256 or
//! -SHA512, 6 to 8 digits. Verification allows one time step of clock skew either way
//! (RFC 6238 §5.2 recommends at most one) and refuses any step at or before the last
//! accepted one, so a code works at most once per user and step (RFC 6238 §5.2: "the
//! verifier MUST NOT accept the second attempt of the OTP after the successful validation").

use crate::error::FieldError;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

string_enum!(
    /// The HMAC hash of a deployment's TOTP codes (the `algorithm` of the otpauth URI).
    OtpAlgorithm {
        Sha1 => "sha1",
        Sha256 => "sha256",
        Sha512 => "sha512",
    }
);

impl OtpAlgorithm {
    /// The name authenticator apps expect in the `algorithm` parameter.
    pub fn uri_name(self) -> &'static str {
        match self {
            OtpAlgorithm::Sha1 => "SHA1",
            OtpAlgorithm::Sha256 => "SHA256",
            OtpAlgorithm::Sha512 => "SHA512",
        }
    }

    /// The secret length matching the hash's output (RFC 4226 §4 R6 asks for at least 128
    /// bits and recommends 160; RFC 6238 Appendix B seeds each hash with its own size).
    pub fn secret_len(self) -> usize {
        match self {
            OtpAlgorithm::Sha1 => 20,
            OtpAlgorithm::Sha256 => 32,
            OtpAlgorithm::Sha512 => 64,
        }
    }
}

/// A RFC 6238 time step: `floor(unix_seconds / period)`.
pub type TotpStep = u64;

/// How a deployment's TOTP codes are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: OtpAlgorithm,
    /// 6, 7 or 8.
    pub digits: u32,
    /// Seconds per step (30 by default).
    pub period: u64,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self {
            algorithm: OtpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

impl TotpParams {
    /// Refuse parameters no authenticator app supports (for settings validation).
    pub fn validate(&self) -> Result<(), String> {
        if !(6..=8).contains(&self.digits) {
            return Err(format!("digits must be 6, 7 or 8, not {}", self.digits));
        }
        if !(15..=300).contains(&self.period) {
            return Err(format!(
                "period must be 15 to 300 seconds, not {}",
                self.period
            ));
        }
        Ok(())
    }

    /// The step `now` falls in (times before 1970 fall in step 0).
    pub fn step_at(&self, now: DateTime<Utc>) -> TotpStep {
        u64::try_from(now.timestamp()).unwrap_or(0) / self.period.max(1)
    }

    /// The code for `step`, zero-padded to `digits`.
    pub fn code_for_step(&self, secret: &[u8], step: TotpStep) -> String {
        format_code(hotp(self.algorithm, secret, step, self.digits), self.digits)
    }

    /// The code valid at `now`.
    pub fn code_at(&self, secret: &[u8], now: DateTime<Utc>) -> String {
        self.code_for_step(secret, self.step_at(now))
    }

    /// Check `code` against the steps `now - 1`, `now` and `now + 1`. Returns the step it
    /// matched; refuses a match at or before `last_used_step` (a replay). Every candidate
    /// is computed and compared in constant time, so timing does not say which one matched.
    pub fn verify(
        &self,
        secret: &[u8],
        code: &TotpCode,
        now: DateTime<Utc>,
        last_used_step: Option<TotpStep>,
    ) -> Result<TotpStep, TotpRefusal> {
        if code.0.len() != self.digits as usize {
            return Err(TotpRefusal::Mismatch);
        }
        let current = self.step_at(now);
        let mut fresh: Option<TotpStep> = None;
        let mut replayed = false;
        for step in [
            current.saturating_sub(1),
            current,
            current.saturating_add(1),
        ] {
            let expected = self.code_for_step(secret, step);
            let matched: bool = expected.as_bytes().ct_eq(code.0.as_bytes()).into();
            if !matched {
                continue;
            }
            if last_used_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else if fresh.is_none() {
                fresh = Some(step);
            }
        }
        match (fresh, replayed) {
            (Some(step), _) => Ok(step),
            (None, true) => Err(TotpRefusal::Replayed),
            (None, false) => Err(TotpRefusal::Mismatch),
        }
    }
}

/// Why a TOTP code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpRefusal {
    /// No step in the window has this code.
    Mismatch,
    /// The code is right but its step was already used.
    Replayed,
}

/// A code as a person typed it: digits only, spaces removed. Its length is checked
/// against the deployment's digits when verified.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    /// Parse what a person typed ("123 456" and "123456" alike).
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !(6..=8).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                "code",
                "invalid_format",
                "must be the 6 to 8 digits your authenticator app shows",
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpCode([redacted])")
    }
}

/// HOTP (RFC 4226 §5.3): HMAC of the big-endian counter, dynamic truncation, modulo
/// 10^digits. `digits` is at most 9 so the modulus fits in a u32.
pub fn hotp(algorithm: OtpAlgorithm, secret: &[u8], counter: u64, digits: u32) -> u32 {
    let message = counter.to_be_bytes();
    let mac = match algorithm {
        OtpAlgorithm::Sha1 => hmac_bytes::<Hmac<sha1::Sha1>>(secret, &message),
        OtpAlgorithm::Sha256 => hmac_bytes::<Hmac<sha2::Sha256>>(secret, &message),
        OtpAlgorithm::Sha512 => hmac_bytes::<Hmac<sha2::Sha512>>(secret, &message),
    };
    // Dynamic truncation: the low nibble of the last byte picks 4 bytes, top bit cleared.
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    binary % 10u32.pow(digits.min(9))
}

fn hmac_bytes<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Zero-pad `value` to `digits`.
pub fn format_code(value: u32, digits: u32) -> String {
    format!("{value:0width$}", width = digits as usize)
}
