//! User-Agent parsing for session and device listings ("Chrome on Windows 10, desktop"),
//! built on the `woothee` crate. The result is descriptive only: a User-Agent is
//! client-controlled and never used for a security decision on its own.

use woothee::parser::Parser;
use woothee::woothee::VALUE_UNKNOWN;

/// Longest prefix of a User-Agent header that is parsed or stored; real ones are a few
/// hundred bytes.
pub const MAX_USER_AGENT_BYTES: usize = 1024;

/// What gatehouse keeps of a User-Agent: its first [`MAX_USER_AGENT_BYTES`] bytes, cut on
/// a character boundary. A client chooses the header's length (hyper accepts ~400 KB of
/// headers), and each session, device and audit row would otherwise store all of it.
pub fn truncate_user_agent(ua: &str) -> &str {
    truncate(ua, MAX_USER_AGENT_BYTES)
}

/// What a User-Agent header says about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUserAgent {
    /// One of "desktop", "mobile", "tablet", "bot", "unknown".
    pub device_type: &'static str,
    /// Operating system as woothee names it ("Windows 10", "Mac OSX", "iPhone", "Android").
    pub os: Option<String>,
    /// Browser or crawler name ("Chrome", "Safari", "Googlebot").
    pub browser: Option<String>,
    pub browser_version: Option<String>,
}

impl ParsedUserAgent {
    fn unknown() -> Self {
        Self {
            device_type: "unknown",
            os: None,
            browser: None,
            browser_version: None,
        }
    }
}

/// Parse a User-Agent header. Never fails: anything unrecognised is "unknown" / `None`.
pub fn parse_user_agent(ua: &str) -> ParsedUserAgent {
    let ua = truncate(ua.trim(), MAX_USER_AGENT_BYTES);
    let Some(result) = Parser::new().parse(ua) else {
        return ParsedUserAgent::unknown();
    };
    let device_type = match result.category {
        "pc" => "desktop",
        "smartphone" | "mobilephone" => "mobile",
        "crawler" => "bot",
        // "appliance" (consoles, TVs), "misc" (HTTP libraries, feed readers), "UNKNOWN".
        _ => "unknown",
    };
    let device_type = if device_type == "mobile" && is_tablet(ua) {
        "tablet"
    } else {
        device_type
    };
    ParsedUserAgent {
        device_type,
        os: known(result.os),
        browser: known(result.name),
        browser_version: known(result.version),
    }
}

/// Tablets woothee files under "smartphone": iPads (before iPadOS 13, which sends a
/// desktop Safari string and cannot be told apart), and Android devices whose browser
/// omits the "Mobile" token, which Android tablets do by convention.
fn is_tablet(ua: &str) -> bool {
    ua.contains("iPad") || (ua.contains("Android") && !ua.contains("Mobile"))
}

/// `None` for woothee's "UNKNOWN" placeholder and for empty values.
fn known(value: &str) -> Option<String> {
    (!value.is_empty() && value != VALUE_UNKNOWN).then(|| value.to_owned())
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const CHROME_ANDROID_PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) \
        AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36";
    const CHROME_ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 13; SM-X700) \
        AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Safari/537.36";
    const FIREFOX_MAC: &str =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0";

    fn parsed(
        device_type: &'static str,
        os: Option<&str>,
        browser: Option<&str>,
        version: Option<&str>,
    ) -> ParsedUserAgent {
        ParsedUserAgent {
            device_type,
            os: os.map(str::to_owned),
            browser: browser.map(str::to_owned),
            browser_version: version.map(str::to_owned),
        }
    }

    #[test]
    fn table() {
        let cases = [
            (
                CHROME_WINDOWS,
                parsed(
                    "desktop",
                    Some("Windows 10"),
                    Some("Chrome"),
                    Some("124.0.6367.91"),
                ),
            ),
            (
                SAFARI_IPHONE,
                parsed("mobile", Some("iPhone"), Some("Safari"), Some("17.4")),
            ),
            (
                SAFARI_IPAD,
                parsed("tablet", Some("iPad"), Some("Safari"), Some("12.1")),
            ),
            (GOOGLEBOT, parsed("bot", None, Some("Googlebot"), None)),
            (
                CHROME_ANDROID_PHONE,
                parsed(
                    "mobile",
                    Some("Android"),
                    Some("Chrome"),
                    Some("124.0.6367.82"),
                ),
            ),
            (
                CHROME_ANDROID_TABLET,
                parsed(
                    "tablet",
                    Some("Android"),
                    Some("Chrome"),
                    Some("124.0.6367.82"),
                ),
            ),
            (
                FIREFOX_MAC,
                parsed("desktop", Some("Mac OSX"), Some("Firefox"), Some("125.0")),
            ),
            ("", ParsedUserAgent::unknown()),
            ("-", ParsedUserAgent::unknown()),
            ("   ", ParsedUserAgent::unknown()),
            ("definitely not a browser", ParsedUserAgent::unknown()),
        ];
        for (ua, expected) in cases {
            assert_eq!(parse_user_agent(ua), expected, "user agent {ua:?}");
        }
    }

    #[test]
    fn http_libraries_are_not_devices() {
        // woothee's "misc" category puts the library in the version slot.
        assert_eq!(
            parse_user_agent("curl/8.5.0"),
            parsed("unknown", None, Some("HTTP Library"), Some("curl"))
        );
    }

    #[test]
    fn long_inputs_are_truncated_on_a_char_boundary() {
        // A real UA followed by padding: the prefix still parses.
        let long = format!("{CHROME_WINDOWS} {}", "é".repeat(5_000));
        assert!(long.len() > MAX_USER_AGENT_BYTES);
        let parsed = parse_user_agent(&long);
        assert_eq!(parsed.device_type, "desktop");
        assert_eq!(parsed.browser.as_deref(), Some("Chrome"));

        let s = "aé".repeat(600); // 3 bytes per pair: byte 1024 is inside an 'é'.
        let cut = truncate_user_agent(&s);
        assert!(cut.len() <= MAX_USER_AGENT_BYTES && cut.len() >= MAX_USER_AGENT_BYTES - 1);
        assert!(s.starts_with(cut));
        assert_eq!(truncate_user_agent(CHROME_WINDOWS), CHROME_WINDOWS);
    }

    #[test]
    fn never_panics_on_odd_input() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};

        let fixed = [
            "\0",
            "Mozilla/5.0 (",
            "Mozilla/5.0 (Windows ",
            "Mozilla/5.0 (Windows NT",
            "Chrome/",
            "MSIE ;",
            "Opera/ Version/",
            "DoCoMo/2.0 ",
            "Mozilla/5.0 (iPhone; CPU iPhone OS  like Mac OS X)",
            "🙂🙃",
        ];
        for ua in fixed {
            let parsed = parse_user_agent(ua);
            assert!(["desktop", "mobile", "tablet", "bot", "unknown"].contains(&parsed.device_type));
        }

        // Random splices of real tokens, from a fixed seed so a failure reproduces.
        let tokens = [
            "Mozilla/5.0",
            "(",
            ")",
            ";",
            " ",
            "Windows NT 10.0",
            "Android",
            "iPhone",
            "iPad",
            "Mobile",
            "Chrome/",
            "Safari/",
            "Version/",
            "Firefox/",
            "MSIE",
            "Trident/",
            "Edg/",
            "OPR/",
            "bot",
            "CPU OS 1_2 like Mac OS X",
            "rv:",
            "1.2.3",
            "é",
            "/",
        ];
        let mut rng = StdRng::seed_from_u64(0x6761_7465);
        for _ in 0..2_000 {
            let n = rng.gen_range(0..12);
            let ua: String = (0..n)
                .map(|_| tokens[rng.gen_range(0..tokens.len())])
                .collect();
            let parsed = parse_user_agent(&ua);
            assert!(
                ["desktop", "mobile", "tablet", "bot", "unknown"].contains(&parsed.device_type),
                "{ua:?}"
            );
        }
    }
}
