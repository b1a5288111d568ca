//! Email addresses as Bilet stores them: trimmed and lower-cased, so that
//! equality in SQL is plain equality.

/// The stored form of an address, or `None` when it is not one. The one
/// parser for forms and mail alike.
///
/// Deliberately permissive about the local part (mail servers decide what
/// exists); it rejects what can never be delivered: no `@` or a second one,
/// an empty side, spaces, control characters, a domain that is not a
/// dotted name of non-empty labels (`x@y`, `a@b..c`, `a@-b.c`), or more
/// than 254 bytes (RFC 5321 §4.5.3.1.3).
pub fn normalize(input: &str) -> Option<String> {
    let address = input.trim().to_lowercase();
    let (local, domain) = address.split_once('@')?;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let ok = !local.is_empty()
        && domain.contains('.')
        && domain.split('.').all(label_ok)
        && address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    ok.then_some(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_lower_cased_and_trimmed() {
        assert_eq!(
            normalize("  Anna@Example.COM "),
            Some("anna@example.com".into())
        );
        assert_eq!(
            normalize("ПОДДЕРЖКА@пример.рф"),
            Some("поддержка@пример.рф".into())
        );
        assert_eq!(
            normalize("o'brien+tag@mail-1.example.co.uk").as_deref(),
            Some("o'brien+tag@mail-1.example.co.uk")
        );
    }

    #[test]
    fn non_addresses_are_refused() {
        for bad in [
            "",
            "anna",
            "@example.com",
            "anna@",
            "an na@x.org",
            "a@.x",
            "a@x.",
            "<a@x.org>",
            "olga@@client.org",
            "olga@@client",
            "x@y",
            "a@b..c",
            "a@-b.c",
            "a@b_c.org",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }
}
