//! Which language directory a profile's language tag maps to: the whole tag, then its
//! primary subtag, then English (RFC 4647 §3.4 "lookup", with English as the default).

/// The language every notification type has a template in.
pub const FALLBACK_LANGUAGE: &str = "en";

/// The directories to try for `tag`, most specific first, lowercased (tags compare
/// without regard to case, RFC 5646 §2.1.1), always ending with [`FALLBACK_LANGUAGE`].
/// `de_AT` is read as `de-AT`, as some clients send it.
pub fn candidates(tag: &str) -> Vec<String> {
    let full = tag.trim().replace('_', "-").to_ascii_lowercase();
    let mut tried = Vec::with_capacity(3);
    if !full.is_empty() {
        if let Some((primary, _)) = full.split_once('-') {
            let primary = primary.to_owned();
            tried.push(full);
            tried.push(primary);
        } else {
            tried.push(full);
        }
    }
    tried.push(FALLBACK_LANGUAGE.to_owned());
    tried.retain(|candidate| !candidate.is_empty());
    tried.dedup();
    tried
}

/// A directory name that can stand for a language: letters, digits and `-` only, so
/// names built from it never leave the template set.
pub fn is_language_dir(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 35
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_tag_then_primary_then_english() {
        assert_eq!(candidates("de-AT"), ["de-at", "de", "en"]);
        assert_eq!(candidates("pt_BR"), ["pt-br", "pt", "en"]);
        assert_eq!(candidates("fr"), ["fr", "en"]);
        assert_eq!(candidates("en-GB"), ["en-gb", "en"]);
        assert_eq!(candidates("EN"), ["en"]);
        assert_eq!(candidates(""), ["en"]);
        assert_eq!(candidates("  "), ["en"]);
        assert_eq!(candidates("-x"), ["-x", "en"]);
    }

    #[test]
    fn language_dirs_are_plain_names() {
        assert!(is_language_dir("de"));
        assert!(is_language_dir("zh-hant-tw"));
        assert!(!is_language_dir(""));
        assert!(!is_language_dir(".."));
        assert!(!is_language_dir("de/x"));
    }
}
