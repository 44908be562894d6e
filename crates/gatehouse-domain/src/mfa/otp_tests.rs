//! The published vectors (RFC 4226 Appendix D, RFC 6238 Appendix B) and the verification
//! window: skew edges and the replay guard.

use super::otp::{format_code, hotp};
use super::{OtpAlgorithm, TotpCode, TotpParams, TotpRefusal};
use chrono::{DateTime, TimeZone, Utc};

const SEED20: &[u8] = b"12345678901234567890";
const SEED32: &[u8] = b"12345678901234567890123456789012";
const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

#[test]
fn rfc4226_appendix_d() {
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, code) in expected.iter().enumerate() {
        let value = hotp(OtpAlgorithm::Sha1, SEED20, counter as u64, 6);
        assert_eq!(format_code(value, 6), *code, "counter {counter}");
    }
}

#[test]
fn rfc6238_appendix_b() {
    // (unix time, SHA1, SHA256, SHA512), 8 digits, 30-second steps.
    let rows = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];
    for (time, sha1, sha256, sha512) in rows {
        let now = at(time);
        for (algorithm, seed, code) in [
            (OtpAlgorithm::Sha1, SEED20, sha1),
            (OtpAlgorithm::Sha256, SEED32, sha256),
            (OtpAlgorithm::Sha512, SEED64, sha512),
        ] {
            let params = TotpParams {
                algorithm,
                digits: 8,
                period: 30,
            };
            assert_eq!(params.code_at(seed, now), code, "{algorithm} at {time}");
        }
    }
}

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().unwrap()
}

fn code(params: &TotpParams, unix: i64) -> TotpCode {
    TotpCode::parse(&params.code_at(SEED20, at(unix))).unwrap()
}

#[test]
fn one_step_of_skew_either_way_and_no_more() {
    let p = TotpParams::default();
    let now = 1_000_000_020; // step 33_333_334 starts at 1_000_000_020
    let step = p.step_at(at(now));
    let cases = [
        // (code made at, expected outcome)
        (now, Ok(step)),
        (now - 1, Ok(step - 1)),  // last second of the previous step
        (now - 30, Ok(step - 1)), // first second of the previous step
        (now - 31, Err(TotpRefusal::Mismatch)),
        (now + 30, Ok(step + 1)),
        (now + 59, Ok(step + 1)),
        (now + 60, Err(TotpRefusal::Mismatch)),
    ];
    for (made_at, expected) in cases {
        assert_eq!(
            p.verify(SEED20, &code(&p, made_at), at(now), None),
            expected,
            "code made at {made_at}"
        );
    }
}

#[test]
fn a_step_is_accepted_once() {
    let p = TotpParams::default();
    let now = 1_000_000_020;
    let step = p.step_at(at(now));
    let current = code(&p, now);
    let previous = code(&p, now - 30);
    let next = code(&p, now + 30);
    let cases = [
        // (code, last used step, expected)
        (&current, Some(step), Err(TotpRefusal::Replayed)),
        (&current, Some(step - 1), Ok(step)),
        (&previous, Some(step - 1), Err(TotpRefusal::Replayed)),
        (&previous, Some(step), Err(TotpRefusal::Replayed)),
        (&next, Some(step), Ok(step + 1)),
        (&current, Some(step + 1), Err(TotpRefusal::Replayed)),
    ];
    for (c, last, expected) in cases {
        assert_eq!(
            p.verify(SEED20, c, at(now), last),
            expected,
            "last {last:?}"
        );
    }
}

#[test]
fn wrong_length_or_secret_is_a_mismatch() {
    let p = TotpParams::default();
    let now = at(1_000_000_020);
    let eight = TotpParams { digits: 8, ..p };
    let long = TotpCode::parse(&eight.code_at(SEED20, now)).unwrap();
    assert_eq!(
        p.verify(SEED20, &long, now, None),
        Err(TotpRefusal::Mismatch)
    );
    let c = TotpCode::parse(&p.code_at(SEED20, now)).unwrap();
    assert_eq!(p.verify(SEED32, &c, now, None), Err(TotpRefusal::Mismatch));
}

#[test]
fn codes_parse_from_what_people_type() {
    assert_eq!(TotpCode::parse(" 123 456 ").unwrap().as_str(), "123456");
    assert_eq!(TotpCode::parse("12345678").unwrap().as_str(), "12345678");
    for bad in ["", "12345", "123456789", "12345a", "１２３４５６"] {
        let err = TotpCode::parse(bad).unwrap_err();
        assert_eq!((err.field, err.code), ("code", "invalid_format"), "{bad}");
    }
    assert!(!format!("{:?}", TotpCode::parse("123456").unwrap()).contains("123456"));
}

#[test]
fn params_are_validated() {
    assert!(TotpParams::default().validate().is_ok());
    for digits in [5, 9] {
        let p = TotpParams {
            digits,
            ..TotpParams::default()
        };
        assert!(p.validate().is_err(), "{digits}");
    }
    let p = TotpParams {
        period: 0,
        ..TotpParams::default()
    };
    assert!(p.validate().is_err());
}
