//! Every type in every language, fallback, escaping, the code staying in `otp_code`,
//! the digest, and operator overrides.

use super::sample::{full as sample_full, minimal as sample_minimal};
use super::*;
use gatehouse_domain::notify::NotificationType::{self, *};

const LANGUAGES: [&str; 2] = ["en", "de"];
const CODE: &str = "493817";

fn templates() -> Templates {
    Templates::embedded().unwrap()
}

/// A realistic context with every field set.
fn full() -> MessageContext {
    MessageContext {
        occurred_at: Some("27 Nov 2026, 13:05 CET".into()),
        ip: Some("203.0.113.7".into()),
        location: Some("Berlin, Germany".into()),
        device: Some("Firefox on Linux".into()),
        code: Some(CODE.into()),
        expires_minutes: Some(10),
        action_url: Some("https://id.example.com/not-me?t=Zk3q9XbT0pW2vL8sR4yN6mJ1".into()),
        link_url: Some("https://id.example.com/verify?t=Hq7Lm2Vx9Pb4Ks1Wd6Rt3Ny8".into()),
        lock_minutes: Some(15),
        methods: vec!["totp".into(), "sms".into()],
        remaining_backup_codes: Some(2),
        items: vec![
            DigestItem {
                kind: LoginNewDevice,
                occurred_at: "26 Nov 2026, 08:12 CET".into(),
                summary: "Safari on iOS, Hamburg".into(),
            },
            DigestItem {
                kind: MfaEnabled,
                occurred_at: "26 Nov 2026, 09:40 CET".into(),
                summary: "authenticator app".into(),
            },
        ],
        unsubscribe_url: Some("https://id.example.com/unsubscribe?t=Qe5".into()),
        ..MessageContext::new("Gatehouse", "Ada Lovelace")
    }
}

fn parts(message: &RenderedMessage) -> [(&'static str, &str); 4] {
    [
        ("subject", &message.subject),
        ("text", &message.text),
        ("html", &message.html),
        ("sms", &message.sms),
    ]
}

/// Non-empty parts with no template syntax and no printed `None` (how MiniJinja prints an
/// empty field) or `undefined`.
fn assert_clean(kind: NotificationType, language: &str, message: &RenderedMessage) {
    for (part, body) in parts(message) {
        assert!(!body.trim().is_empty(), "{kind}/{language}: empty {part}");
        for leftover in ["{{", "}}", "{%", "%}", "{#", "#}", "None", "undefined"] {
            assert!(
                !body.contains(leftover),
                "{kind}/{language}: {part} contains {leftover:?}:\n{body}"
            );
        }
    }
    assert!(
        !message.text.contains("\n\n\n"),
        "{kind}/{language}: holes in text"
    );
    assert!(message.text.lines().all(|line| line == line.trim_end()));
    assert!(message.html.starts_with("<!DOCTYPE html>"));
    assert!(message
        .html
        .contains(&format!("<html lang=\"{language}\">")));
}

#[test]
fn every_type_renders_in_every_language_with_a_full_and_a_minimal_context() {
    let templates = templates();
    for &kind in NotificationType::ALL {
        for language in LANGUAGES {
            for ctx in [full(), sample_minimal(kind), sample_full()] {
                let message = templates.render(kind, language, &ctx).unwrap();
                assert_eq!(message.language, language);
                assert_clean(kind, language, &message);
                assert!(message.text.contains(&ctx.display_name), "{kind}: greeting");
                assert!(message.text.contains(&ctx.app_name), "{kind}: app name");
            }
        }
    }
}

#[test]
fn the_languages_differ() {
    let templates = templates();
    for &kind in NotificationType::ALL {
        let en = templates.render(kind, "en", &full()).unwrap();
        let de = templates.render(kind, "de", &full()).unwrap();
        assert_ne!(en.subject, de.subject, "{kind}");
        assert_ne!(en.text, de.text, "{kind}");
        assert!(en.text.starts_with("Hello Ada Lovelace,"), "{kind}");
        assert!(de.text.starts_with("Hallo Ada Lovelace,"), "{kind}");
    }
}

#[test]
fn a_language_falls_back_to_its_primary_subtag_then_to_english() {
    let templates = templates();
    let ctx = full();
    for (asked, used) in [
        ("de", "de"),
        ("de-AT", "de"),
        ("de_CH", "de"),
        ("DE", "de"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("fr-CA", "en"),
        ("", "en"),
        ("../de", "en"),
    ] {
        let message = templates.render(PasswordChanged, asked, &ctx).unwrap();
        assert_eq!(message.language, used, "asked for {asked:?}");
    }
    let german = templates.render(PasswordChanged, "de-AT", &ctx).unwrap();
    assert_eq!(german.subject, "Ihr Passwort für Gatehouse wurde geändert");
}

#[test]
fn html_escapes_what_the_text_shows_as_written() {
    let templates = templates();
    let ctx = MessageContext {
        display_name: "<script>alert(1)</script> & Co".into(),
        device: Some("\"><img src=x>".into()),
        ..full()
    };
    for &kind in NotificationType::ALL {
        for language in LANGUAGES {
            let message = templates.render(kind, language, &ctx).unwrap();
            assert!(!message.html.contains("<script>"), "{kind}/{language}");
            assert!(!message.html.contains("<img"), "{kind}/{language}");
            assert!(
                message
                    .html
                    .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Co"),
                "{kind}/{language}: {}",
                message.html
            );
            assert!(message.text.contains("<script>alert(1)</script> & Co"));
        }
    }
    let alert = templates.render(LoginNewDevice, "en", &ctx).unwrap();
    assert!(alert.text.contains("Device:     \"><img src=x>"));
    assert!(alert.subject.ends_with("from \"><img src=x>"));
}

#[test]
fn the_code_appears_in_otp_messages_and_nowhere_else() {
    let templates = templates();
    for language in LANGUAGES {
        let otp = templates.render(OtpCode, language, &full()).unwrap();
        assert!(otp.text.contains(CODE), "{language}");
        assert!(otp.html.contains(CODE), "{language}");
        assert!(otp.sms.starts_with(CODE), "{language}: {}", otp.sms);
        // Subjects show up in previews and mail logs: no code there.
        assert!(!otp.subject.contains(CODE), "{language}");

        for &kind in NotificationType::ALL
            .iter()
            .filter(|&&kind| kind != OtpCode)
        {
            let message = templates.render(kind, language, &full()).unwrap();
            for (part, body) in parts(&message) {
                assert!(!body.contains(CODE), "{kind}/{language}: code in {part}");
            }
        }
    }
}

#[test]
fn the_digest_lists_its_items() {
    let templates = templates();
    let ctx = full();
    let en = templates.render(SecurityDigest, "en", &ctx).unwrap();
    assert!(en
        .text
        .contains("- 26 Nov 2026, 08:12 CET: Sign-in from a new device (Safari on iOS, Hamburg)\n- 26 Nov 2026, 09:40 CET: Two-step verification turned on (authenticator app)\n"));
    assert_eq!(en.html.matches("<li>").count(), 2);
    assert!(en
        .html
        .contains("Sign-in from a new device (Safari on iOS, Hamburg)</li>"));
    assert!(en.sms.contains("2 security events"));

    let de = templates.render(SecurityDigest, "de", &ctx).unwrap();
    assert!(de
        .text
        .contains("- 26 Nov 2026, 08:12 CET: Anmeldung von einem neuen Gerät"));
    assert!(de
        .text
        .contains("Zwei-Faktor-Authentifizierung eingeschaltet"));
    assert!(de.sms.contains("2 Sicherheitsereignisse"));

    let one = MessageContext {
        items: ctx.items[..1].to_vec(),
        ..ctx
    };
    let single = templates.render(SecurityDigest, "en", &one).unwrap();
    assert!(single.sms.contains("1 security event on"));
    assert!(!single.text.contains("Two-step"));
}

#[test]
fn the_digest_names_every_type() {
    let templates = templates();
    for language in LANGUAGES {
        let message = templates
            .render(SecurityDigest, language, &sample_full())
            .unwrap();
        for &kind in NotificationType::ALL {
            // A type without a name would be printed as its code.
            assert!(
                !message.text.contains(&format!(": {kind} ")),
                "{language}: {kind} has no name"
            );
        }
    }
}

#[test]
fn a_message_without_what_its_type_needs_is_refused() {
    let templates = templates();
    let bare = MessageContext::new("Gatehouse", "Ada");
    for (kind, field) in [
        (OtpCode, "code"),
        (EmailVerification, "link_url"),
        (PasswordReset, "link_url"),
        (ProductUpdate, "unsubscribe_url"),
        (SecurityDigest, "items"),
    ] {
        match templates.render(kind, "en", &bare) {
            Err(TemplateError::MissingField { kind: k, field: f }) => {
                assert_eq!((k, f), (kind, field));
            }
            other => panic!("{kind}: expected MissingField, got {other:?}"),
        }
    }
    let blank_code = MessageContext {
        code: Some("  ".into()),
        ..bare.clone()
    };
    assert!(templates.render(OtpCode, "en", &blank_code).is_err());
    assert!(templates.render(PasswordChanged, "en", &bare).is_ok());
}

#[test]
fn optional_fields_left_out_leave_no_trace() {
    let templates = templates();
    let bare = MessageContext::new("Gatehouse", "Ada");
    let message = templates.render(LoginNewDevice, "en", &bare).unwrap();
    assert_eq!(message.subject, "New sign-in to your Gatehouse account");
    for label in ["When:", "Device:", "Where:", "IP address:", "http"] {
        assert!(!message.text.contains(label), "{label}");
    }
    assert!(!message.html.contains("<table"));
    assert!(message
        .text
        .contains("Not you? Reset your password at once"));
    assert_eq!(
        message.sms,
        "Gatehouse: new sign-in. Not you? Reset your password now."
    );

    let with_link = MessageContext {
        action_url: full().action_url,
        ..bare
    };
    let message = templates.render(LoginNewDevice, "en", &with_link).unwrap();
    assert!(message.html.contains(">This wasn't me</a>"));
    assert!(message
        .sms
        .ends_with("Not you? https://id.example.com/not-me?t=Zk3q9XbT0pW2vL8sR4yN6mJ1"));
}

#[test]
fn subjects_and_sms_are_one_line_whatever_the_fields_hold() {
    let templates = templates();
    let ctx = MessageContext {
        device: Some("Evil\r\nBcc: victim@example.com".into()),
        location: Some("Here\nThere".into()),
        ..full()
    };
    for &kind in NotificationType::ALL {
        for language in LANGUAGES {
            let message = templates.render(kind, language, &ctx).unwrap();
            assert!(!message.subject.contains(['\r', '\n']), "{kind}/{language}");
            assert!(!message.sms.contains(['\r', '\n']), "{kind}/{language}");
        }
    }
}

/// GSM 03.38 basic characters (one unit each) and the extension table (two units).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED: &str = "^{}\\[~]|€";

fn gsm_units(text: &str) -> Option<usize> {
    text.chars().try_fold(0, |units, c| {
        if GSM_BASIC.contains(c) {
            Some(units + 1)
        } else if GSM_EXTENDED.contains(c) {
            Some(units + 2)
        } else {
            None
        }
    })
}

#[test]
fn sms_fit_one_gsm_message() {
    let templates = templates();
    for &kind in NotificationType::ALL {
        for language in LANGUAGES {
            for ctx in [full(), sample_minimal(kind)] {
                let sms = templates.render(kind, language, &ctx).unwrap().sms;
                let units = gsm_units(&sms);
                assert!(
                    units.is_some_and(|units| units <= 160),
                    "{kind}/{language}: {units:?} GSM units: {sms}"
                );
            }
        }
    }
}

#[test]
fn templates_are_shared_across_threads() {
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<Templates>();
    let templates = templates();
    let copy = templates.clone();
    std::thread::spawn(move || copy.render(OtpCode, "de", &full()).unwrap())
        .join()
        .unwrap();
}

#[test]
fn debug_output_hides_the_code_and_the_links() {
    let shown = format!("{:?}", full());
    assert!(!shown.contains(CODE));
    assert!(!shown.contains("Zk3q9"));
    assert!(!shown.contains("Hq7Lm"));
    assert!(shown.contains("[redacted]"));
    assert!(shown.contains("Ada Lovelace"));
}

#[test]
fn the_embedded_list_holds_every_file_on_disk() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let embedded = sources::embedded();
    let mut on_disk = Vec::new();
    for language in std::fs::read_dir(&root).unwrap() {
        let language = language.unwrap().path();
        if !language.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&language).unwrap() {
            let file = file.unwrap().path();
            let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_owned();
            on_disk.push((name(&language), name(&file)));
        }
    }
    on_disk.sort();
    let listed: Vec<_> = embedded
        .iter()
        .flat_map(|(language, files)| files.keys().map(|file| (language.clone(), file.clone())))
        .collect();
    assert_eq!(listed, on_disk);
    for language in LANGUAGES {
        for &kind in NotificationType::ALL {
            assert!(
                embedded[language].contains_key(&format!("{kind}.jinja")),
                "{language}/{kind}"
            );
        }
    }
}

mod overrides {
    use super::*;
    use std::fs;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    const OTP_FR: &str = "{% block subject %}Votre code {{ app_name }}{% endblock %}\
        {% block text %}Bonjour {{ display_name }}, votre code : {{ code }}{% endblock %}\
        {% block html %}<p>Votre code : {{ code }}</p>{% endblock %}\
        {% block sms %}{{ code }} est votre code {{ app_name }}.{% endblock %}";

    #[test]
    fn a_file_in_the_operators_directory_wins_and_a_new_language_is_added() {
        let dir = dir_with(&[
            ("README.md", "notes"),
            ("en/.otp_code.jinja.swp", "junk"),
            (
                "en/password_changed.jinja",
                "{% block subject %}Changed!{% endblock %}{% block text %}Hi {{ display_name }}{% endblock %}\
                 {% block html %}<b>Hi</b>{% endblock %}{% block sms %}Changed{% endblock %}",
            ),
            ("FR/otp_code.jinja", OTP_FR),
        ]);
        let templates = Templates::load(dir.path()).unwrap();
        let changed = templates.render(PasswordChanged, "en", &full()).unwrap();
        assert_eq!(changed.subject, "Changed!");
        assert!(changed.text.starts_with("Hi Ada Lovelace\n"));
        // Other files stay as built in.
        let device = templates.render(LoginNewDevice, "en", &full()).unwrap();
        assert!(device.subject.starts_with("New sign-in"));

        let otp = templates.render(OtpCode, "fr-CA", &full()).unwrap();
        assert_eq!(otp.language, "fr");
        assert!(otp.text.contains("votre code : 493817"));
        // French has no layout of its own: the English one wraps it.
        assert!(otp.html.contains("<html lang=\"en\">"));
        // Types French lacks come in English.
        let locked = templates.render(AccountLocked, "fr", &full()).unwrap();
        assert_eq!(locked.language, "en");
    }

    #[test]
    fn an_override_cannot_put_the_code_into_an_alert() {
        let dir = dir_with(&[(
            "en/password_changed.jinja",
            "{% block subject %}Changed{% endblock %}{% block text %}code={{ code }}{% endblock %}\
             {% block html %}{{ code }}{% endblock %}{% block sms %}{{ code }}{% endblock %}",
        )]);
        let templates = Templates::load(dir.path()).unwrap();
        let message = templates.render(PasswordChanged, "en", &full()).unwrap();
        for (part, body) in parts(&message) {
            assert!(!body.contains(CODE), "code in {part}");
        }
    }

    #[test]
    fn a_misspelt_field_stops_the_start() {
        let dir = dir_with(&[(
            "de/password_changed.jinja",
            "{% block subject %}x{% endblock %}{% block text %}{% if devcie %}{{ devcie }}{% endif %}{% endblock %}\
             {% block html %}x{% endblock %}{% block sms %}x{% endblock %}",
        )]);
        let error = Templates::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("de/password_changed"), "{error}");
        assert!(error.contains("undefined"), "{error}");
    }

    #[test]
    fn a_missing_block_or_bad_syntax_stops_the_start() {
        let no_sms = dir_with(&[(
            "en/otp_code.jinja",
            "{% block subject %}x{% endblock %}{% block text %}{{ code }}{% endblock %}{% block html %}x{% endblock %}",
        )]);
        let error = Templates::load(no_sms.path()).unwrap_err().to_string();
        assert!(
            error.contains("en/otp_code") && error.contains("sms"),
            "{error}"
        );

        let broken = dir_with(&[("en/_layout.txt", "{{ body }")]);
        let error = Templates::load(broken.path()).unwrap_err().to_string();
        assert!(error.contains("en/_layout.txt"), "{error}");
    }

    #[test]
    fn files_that_are_not_templates_are_refused() {
        for path in [
            "en/otp-code.jinja",
            "en/otp_code.txt",
            "en/notes.md",
            "d e/otp_code.jinja",
        ] {
            let dir = dir_with(&[(path, OTP_FR)]);
            match Templates::load(dir.path()) {
                Err(TemplateError::UnknownFile(file)) => {
                    assert!(dir.path().join(path).starts_with(&file), "{path}: {file:?}")
                }
                other => panic!("{path}: expected UnknownFile, got {other:?}"),
            }
        }
        let missing = Templates::load(Path::new("/nonexistent/gatehouse-templates"));
        assert!(matches!(missing, Err(TemplateError::Read { .. })));
    }
}
