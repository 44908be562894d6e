//! The `otpauth://totp/` URI authenticator apps scan (Google Authenticator's Key Uri Format):
//! `otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
//! The issuer appears both as the label prefix and as a parameter, as the format recommends;
//! both label parts and the parameter are percent-encoded (RFC 3986 unreserved kept).

use super::base32;
use super::otp::TotpParams;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters is encoded (so `:` inside an issuer or
/// account name cannot be taken for the separator, and `@` stays unambiguous).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The provisioning URI for `secret` (raw bytes; base32 here).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8], params: &TotpParams) -> String {
    let issuer_enc = utf8_percent_encode(issuer, COMPONENT);
    let account_enc = utf8_percent_encode(account, COMPONENT);
    format!(
        "otpauth://totp/{issuer_enc}:{account_enc}?secret={}&issuer={issuer_enc}&algorithm={}&digits={}&period={}",
        base32::encode(secret),
        params.algorithm.uri_name(),
        params.digits,
        params.period,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::OtpAlgorithm;

    #[test]
    fn uri_carries_label_secret_and_parameters() {
        let cases = [
            (
                "Gatehouse",
                "ann@example.com",
                TotpParams::default(),
                "otpauth://totp/Gatehouse:ann%40example.com?secret=MZXW6YTBOI&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30",
            ),
            (
                "Acme Corp: Staff",
                "b&b@x.io",
                TotpParams {
                    algorithm: OtpAlgorithm::Sha512,
                    digits: 8,
                    period: 60,
                },
                "otpauth://totp/Acme%20Corp%3A%20Staff:b%26b%40x.io?secret=MZXW6YTBOI&issuer=Acme%20Corp%3A%20Staff&algorithm=SHA512&digits=8&period=60",
            ),
        ];
        for (issuer, account, params, expected) in cases {
            assert_eq!(otpauth_uri(issuer, account, b"foobar", &params), expected);
        }
    }
}
