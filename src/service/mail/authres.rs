//! Authentication-Results (RFC 8601) as evidence about a mail's sender.
//! Anyone can add such a field to a mail, so only fields whose authserv-id
//! names one of the site's own receiving servers
//! (`mail.trusted_authserv_ids`) count; the others are ignored.

/// The unfolded values of every `name:` header field of a raw mail.
pub fn header_values(raw: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(v) = current.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        out.extend(current.take());
        if let Some((field, value)) = line.split_once(':')
            && field.trim().eq_ignore_ascii_case(name)
        {
            current = Some(value.trim().to_string());
        }
    }
    out.extend(current);
    out
}

/// Why a trusted server says the mail's sender is forged, if it does:
/// a dmarc, dkim or spf result of `fail`.
pub fn failure(values: &[String], trusted: &[String]) -> Option<String> {
    for value in values {
        let mut parts = value.split(';');
        let id = parts
            .next()
            .and_then(|p| p.split_whitespace().next())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !trusted.iter().any(|t| t.eq_ignore_ascii_case(&id)) {
            continue;
        }
        for result in parts {
            let result = result.trim().to_ascii_lowercase();
            for method in ["dmarc", "dkim", "spf"] {
                let fail = format!("{method}=fail");
                if result.starts_with(&fail)
                    && !result[fail.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                {
                    return Some(format!("{id} reports {method}=fail"));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"Received: x\r\nAuthentication-Results: mx.example.net;\r\n\tdkim=pass header.d=example.net;\r\n dmarc=fail (p=reject) header.from=support.test\r\nAuthentication-Results: forged.example; dmarc=pass\r\nSubject: hi\r\n\r\nAuthentication-Results: in the body; dmarc=fail\r\n";

    #[test]
    fn fields_are_unfolded_and_the_body_is_not_read() {
        let v = header_values(RAW, "authentication-results");
        assert_eq!(v.len(), 2);
        assert!(v[0].starts_with("mx.example.net;") && v[0].contains("dmarc=fail"));
    }

    #[test]
    fn only_trusted_servers_count() {
        let v = header_values(RAW, "Authentication-Results");
        let trusted = vec!["mx.example.net".to_string()];
        assert_eq!(
            failure(&v, &trusted).as_deref(),
            Some("mx.example.net reports dmarc=fail")
        );
        assert_eq!(failure(&v, &[]), None, "nothing trusted by default");
        assert_eq!(failure(&v, &["forged.example".to_string()]), None);
        let softfail = vec!["mx.example.net; spf=softfail".to_string()];
        assert_eq!(failure(&softfail, &trusted), None, "only fail counts");
    }
}
