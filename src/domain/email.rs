//! Email addresses as Bilet stores them: trimmed and lower-cased, so that
//! equality in SQL is plain equality.

/// The stored form of an address, or `None` when it is not one.
///
/// Deliberately permissive (mail servers decide what exists); it only rejects
/// what can never be delivered: no `@`, an empty side, spaces, control
/// characters, or more than 254 bytes (RFC 5321 §4.5.3.1.3).
pub fn normalize(input: &str) -> Option<String> {
    let address = input.trim().to_lowercase();
    let (local, domain) = address.rsplit_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
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
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }
}
