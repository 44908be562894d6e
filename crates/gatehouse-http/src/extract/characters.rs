//! Strings no backend can store, found in a JSON body before it is parsed: U+0000
//! (PostgreSQL `text` refuses it; SQLite would keep it) and unpaired UTF-16 surrogates
//! (serde_json refuses them as a syntax error that names no field; no Rust string can hold
//! one). Both can only arrive as `\u` escapes — JSON carries no raw control characters and
//! the body must be UTF-8 — so a scan of the escapes decides, without parsing, whether the
//! slower search for the fields that hold them is needed at all.

use serde_json::Value;

/// At most this many fields are named in one answer, so a body of many bad strings does
/// not get an answer larger than itself.
const MAX_FIELDS: usize = 10;

/// The escape a bad one is rewritten to before the field search: a NUL, same length.
const NUL_ESCAPE: &[u8; 6] = b"\\u0000";

/// Where the body's strings (values or keys) hold U+0000 or an unpaired surrogate, named as
/// `password`, `device.name`, `items[0]` (`.` for a bare string body, or when a repeated
/// key hid the string); empty for a clean body and for one that is not JSON (the parse
/// that follows answers for that).
pub fn unstorable_fields(body: &[u8]) -> Vec<String> {
    let mut found = false;
    scan_escapes(body, |_| found = true);
    if !found {
        return Vec::new();
    }
    // Rare path: rewrite each bad escape as a NUL (same length) so that the body parses,
    // then walk it for the strings holding one.
    let mut copy = body.to_vec();
    scan_escapes(body, |at| copy[at..at + 6].copy_from_slice(NUL_ESCAPE));
    let Ok(value) = serde_json::from_slice::<Value>(&copy) else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    walk(&value, &mut String::new(), &mut fields);
    if fields.is_empty() {
        // The string was dropped by the parse (a repeated key keeps only its last value):
        // still refuse, since another reader of the body might keep the first.
        fields.push(".".to_owned());
    }
    fields
}

/// Call `bad` with the offset of every `\u` escape that is U+0000 or a surrogate not
/// paired as JSON requires (a leading one directly followed by a trailing one, as serde_json
/// reads them). Escapes are the only place a backslash may appear in JSON, so the scan
/// needs no notion of where strings start and end.
fn scan_escapes(body: &[u8], mut bad: impl FnMut(usize)) {
    let mut i = 0;
    while let Some(offset) = body[i..].iter().position(|&b| b == b'\\') {
        let at = i + offset;
        i = at + 2; // `\\`, `\"`, `\n`, ...: the escaped byte is not a backslash to look at.
        if body.get(at + 1) != Some(&b'u') {
            continue;
        }
        let Some(unit) = hex4(body, at + 2) else {
            continue; // not JSON; the parse will say so
        };
        i = at + 6;
        match unit {
            0 | 0xDC00..=0xDFFF => bad(at),
            0xD800..=0xDBFF => {
                let paired = body.get(at + 6..at + 8) == Some(b"\\u")
                    && hex4(body, at + 8).is_some_and(|n| (0xDC00..=0xDFFF).contains(&n));
                if paired {
                    i = at + 12;
                } else {
                    bad(at);
                }
            }
            _ => {}
        }
    }
}

/// The four hex digits at `at`, if there are four.
fn hex4(body: &[u8], at: usize) -> Option<u16> {
    let digits = body.get(at..at + 4)?;
    digits.iter().try_fold(0u16, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        Some((n << 4) | v as u16)
    })
}

fn walk(value: &Value, path: &mut String, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains('\0') => name(path, out),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                walk(item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // A bad key is named with U+FFFD where its NUL was: the name stays readable
                // and the answer carries no NUL of its own.
                path.push_str(&key.replace('\0', "\u{FFFD}"));
                if key.contains('\0') {
                    name(path, out);
                } else {
                    walk(member, path, out);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn name(path: &str, out: &mut Vec<String>) {
    if out.len() < MAX_FIELDS {
        out.push(if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Vec<String> {
        unstorable_fields(body.as_bytes())
    }

    #[test]
    fn clean_bodies_name_nothing() {
        for body in [
            r#"{"password":"correct horse battery staple"}"#,
            r#"{"name":"caf\u00e9 \ud83d\ude00 \uD83D\uDE00","n":[1,"\\u0000"]}"#,
            r#"{"path":"C:\\temp\\u0000","quote":"\"\u0001"}"#,
            "",
            "not json \\u0000",
        ] {
            assert_eq!(fields(body), Vec::<String>::new(), "{body}");
        }
    }

    #[test]
    fn nul_and_unpaired_surrogates_are_named_by_path() {
        let cases = [
            (r#"{"password":"a\u0000b"}"#, vec!["password"]),
            (r#"{"device":{"name":"\ud800"}}"#, vec!["device.name"]),
            (r#"{"a":"\udc00x","b":"ok"}"#, vec!["a"]),
            (r#"{"a":"x\uD800\u0041"}"#, vec!["a"]),
            (r#"{"a":"\ud800\ud800\udc00"}"#, vec!["a"]),
            (r#"{"a":"\ud800"#, vec![]),
            (
                r#"{"items":[{"x":"ok"},{"x":"\u0000"}]}"#,
                vec!["items[1].x"],
            ),
            (r#"{"user\u0000name":"k"}"#, vec!["user\u{FFFD}name"]),
            (r#"{"k\udfff":1}"#, vec!["k\u{FFFD}"]),
            (r#""\u0000""#, vec!["."]),
            (r#"{"a":"\u0000","b":["\\","\ud801"]}"#, vec!["a", "b[1]"]),
            (r#"{"a":"\u0000","a":"ok"}"#, vec!["."]),
        ];
        for (body, expected) in cases {
            assert_eq!(fields(body), expected, "{body}");
        }
    }

    #[test]
    fn a_body_of_many_bad_strings_names_a_few() {
        let body = format!("[{}\"\\u0000\"]", "\"\\u0000\",".repeat(100));
        assert_eq!(fields(&body).len(), MAX_FIELDS);
    }

    /// The scan agrees with serde_json: every escape it calls bad is one serde_json
    /// refuses (surrogates) or decodes to a NUL, and every other one is accepted.
    #[test]
    fn the_scan_matches_what_serde_json_refuses() {
        for escape in [
            r"\u0000",
            r"\ud800",
            r"\udbff",
            r"\udc00",
            r"\udfff",
            r"\ud800\u0041",
            r"\ud7ff",
            r"\ue000",
            r"\ud800\udc00",
            r"\uDBFF\uDFFF",
            r"\u0041",
            r"\\ud800",
        ] {
            let text = format!("\"x{escape}y\"");
            let mut bad = false;
            scan_escapes(text.as_bytes(), |_| bad = true);
            let parsed = serde_json::from_str::<String>(&text);
            let refused = parsed.as_ref().map_or(true, |s| s.contains('\0'));
            assert_eq!(bad, refused, "{escape}: {parsed:?}");
        }
    }
}
