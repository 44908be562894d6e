//! Backup codes: ten single-use codes shown once, `xxxxx-xxxxx`, from Crockford's base32
//! alphabet (no `i`, `l`, `o`, `u`), so 50 random bits each and nothing to misread. What a
//! person types is normalised before it is hashed: case, spaces and dashes do not matter,
//! and the look-alikes `o`→`0`, `i`/`l`→`1` are read as Crockford reads them.

/// How many codes one generation makes.
pub const BACKUP_CODE_COUNT: usize = 10;
/// Characters per code, without the dash.
pub const BACKUP_CODE_LEN: usize = 10;
/// Random bytes one generation needs: one per character (5 bits of each are used).
pub const BACKUP_CODE_BYTES: usize = BACKUP_CODE_COUNT * BACKUP_CODE_LEN;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// One code in its canonical form (10 characters, no dash): what is hashed and stored.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BackupCode(String);

impl BackupCode {
    /// The canonical form (hash input).
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// As shown to the person: `xxxxx-xxxxx`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }

    /// A new set from `random` (the caller's CSPRNG bytes). 32 divides 256, so taking
    /// each byte modulo 32 is unbiased.
    pub fn generate(random: &[u8; BACKUP_CODE_BYTES]) -> Vec<BackupCode> {
        random
            .chunks(BACKUP_CODE_LEN)
            .map(|chunk| {
                BackupCode(
                    chunk
                        .iter()
                        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
                        .collect(),
                )
            })
            .collect()
    }
}

impl std::fmt::Debug for BackupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupCode([redacted])")
    }
}

/// Read what a person typed as a backup code; `None` when it cannot be one.
pub fn normalize_backup_code(typed: &str) -> Option<BackupCode> {
    let mut out = String::with_capacity(BACKUP_CODE_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            ' ' | '-' | '\t' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
        if out.len() > BACKUP_CODE_LEN {
            return None;
        }
    }
    (out.len() == BACKUP_CODE_LEN).then_some(BackupCode(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn random() -> [u8; BACKUP_CODE_BYTES] {
        let mut bytes = [0u8; BACKUP_CODE_BYTES];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(67).wrapping_add(13);
        }
        bytes
    }

    #[test]
    fn a_generation_is_ten_distinct_well_formed_codes() {
        let codes = BackupCode::generate(&random());
        assert_eq!(codes.len(), BACKUP_CODE_COUNT);
        let distinct: HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), BACKUP_CODE_COUNT);
        for code in &codes {
            let shown = code.display();
            assert_eq!(shown.len(), 11);
            assert_eq!(&shown[5..6], "-");
            assert!(code.canonical().bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(normalize_backup_code(&shown).as_ref(), Some(code));
        }
    }

    #[test]
    fn every_byte_value_maps_into_the_alphabet() {
        let mut bytes = [0u8; BACKUP_CODE_BYTES];
        bytes[..32].copy_from_slice(&core::array::from_fn::<u8, 32, _>(|i| i as u8 + 224));
        let codes: Vec<String> = BackupCode::generate(&bytes)
            .iter()
            .map(|c| c.canonical().to_owned())
            .collect();
        assert_eq!(
            codes[..4],
            ["0123456789", "abcdefghjk", "mnpqrstvwx", "yz00000000"]
        );
    }

    #[test]
    fn typing_is_forgiven_where_it_cannot_confuse() {
        let cases = [
            ("abcde-fghjk", Some("abcdefghjk")),
            ("ABCDE FGHJK", Some("abcdefghjk")),
            (" abcdefghjk ", Some("abcdefghjk")),
            ("ab-cd-ef-gh-jk", Some("abcdefghjk")),
            ("oiL23-45678", Some("0112345678")),
            ("abcde-fghj", None),   // too short
            ("abcde-fghjkm", None), // too long
            ("abcde-fghju", None),  // u is not in the alphabet
            ("abcde_fghjk", None),  // underscore
            ("abcdé-fghjk", None),  // not ASCII
        ];
        for (typed, expected) in cases {
            assert_eq!(
                normalize_backup_code(typed)
                    .as_ref()
                    .map(BackupCode::canonical),
                expected,
                "{typed}"
            );
        }
    }

    #[test]
    fn debug_hides_the_code() {
        let code = normalize_backup_code("abcde-fghjk").unwrap();
        assert!(!format!("{code:?}").contains("abcde"));
    }
}
