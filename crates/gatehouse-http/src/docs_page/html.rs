//! Writing document text into the page safely: every string the OpenAPI document holds is
//! escaped before it reaches the HTML, and anchors are reduced to characters that need none.

/// Escape text for an element's content or a double- or single-quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape a description and show its `backticked` words as code, as the document's
/// Markdown would: the codes, fields and headers the descriptions name stand out. Nothing
/// else of Markdown is interpreted, so no link or raw HTML can come through.
pub fn text(s: &str) -> String {
    let escaped = escape(s.trim());
    let mut parts = escaped.split('`');
    let mut out = parts.next().unwrap_or("").to_owned();
    let rest: Vec<&str> = parts.collect();
    // Pair the backticks up; an odd one out stays a plain backtick.
    let mut i = 0;
    while i < rest.len() {
        if i + 1 < rest.len() {
            out.push_str("<code>");
            out.push_str(rest[i]);
            out.push_str("</code>");
            out.push_str(rest[i + 1]);
            i += 2;
        } else {
            out.push('`');
            out.push_str(rest[i]);
            i += 1;
        }
    }
    out
}

/// A description as paragraphs: the blank lines of a doc comment separate them, its single
/// line breaks are only wrapping.
pub fn paragraphs(s: &str) -> String {
    s.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", text(&p.replace('\n', " "))))
        .collect()
}

/// An `id` for an anchor: letters, digits, `-` and `_` only, so it needs no escaping in an
/// attribute or a `#fragment`.
pub fn anchor(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "op".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A JSON value as an indented block.
pub fn json_block(value: &serde_json::Value) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    format!("<pre><code>{}</code></pre>", escape(&pretty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert('x' & "y")</script>"#),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn backticks_become_code_and_an_odd_one_stays() {
        assert_eq!(
            text("a `b` c `<d>` e ` f"),
            "a <code>b</code> c <code>&lt;d&gt;</code> e ` f"
        );
        assert_eq!(text("plain"), "plain");
    }

    #[test]
    fn blank_lines_separate_paragraphs() {
        assert_eq!(
            paragraphs("one\ntwo\n\nthree"),
            "<p>one two</p><p>three</p>"
        );
    }

    #[test]
    fn anchors_keep_only_safe_characters() {
        assert_eq!(
            anchor("get /v1/me/sessions/{id}"),
            "get--v1-me-sessions--id"
        );
        assert_eq!(anchor("\"><script>"), "script");
        assert_eq!(anchor("<>"), "op");
    }

    #[test]
    fn json_is_escaped_inside_its_block() {
        let block = json_block(&serde_json::json!({ "a": "</pre><b>" }));
        assert!(block.contains("&lt;/pre&gt;&lt;b&gt;"), "{block}");
    }
}
