//! File names written as RFC 2231 parameters: `filename*=utf-8''%D0%A1…`
//! and continuations `filename*0*=…; filename*1*=…`. Segments are joined
//! as bytes before the charset is applied, because mailers cut names
//! wherever the line gets long, inside a multi-byte character too.
//!
//! Only the Content-Disposition and Content-Type fields of one part header
//! are read, each unfolded on its own, so a value can never run into the
//! header line after it. Pure: no I/O.

use mail_parser::decoders::charsets::map::charset_decoder;

use super::header::{Param, field, fields, params};

/// The file name of the part whose header block is `header`, when it is
/// written in RFC 2231 form: Content-Disposition's `filename`, else
/// Content-Type's `name`. None for a plainly written name
/// (`filename="x.pdf"`), which mail-parser reads (RFC 2047 words too).
pub fn filename(header: &[u8]) -> Option<String> {
    let fields = fields(header);
    if let Some(disposition) = field(&fields, "content-disposition") {
        let params = params(disposition);
        match named(&params, "filename") {
            Named::Encoded(name) => return Some(name),
            // A plain file name is the standard one (RFC 2183) and beats a
            // Content-Type name in any form.
            Named::Plain => return None,
            Named::Absent => {}
        }
    }
    let params = params(field(&fields, "content-type")?);
    match named(&params, "name") {
        Named::Encoded(name) => Some(name),
        Named::Plain | Named::Absent => None,
    }
}

/// Whether the only bytes of a header block that are not UTF-8 belong to
/// RFC 2231 name segments that join back into UTF-8 (raw UTF-8 cut
/// between `filename*0="…"` and `filename*1="…"`). Such a block must not
/// be re-decoded as a legacy charset.
pub fn only_split_names_break_utf8(header: &[u8]) -> bool {
    fields(header).iter().all(|(name, value)| {
        if std::str::from_utf8(value).is_ok() {
            return true;
        }
        if name != "content-type" && name != "content-disposition" {
            return false;
        }
        let params = params(value);
        let type_token = value.split(|&b| b == b';').next().unwrap_or(&[]);
        std::str::from_utf8(type_token).is_ok()
            && params.iter().all(|(key, v)| {
                continuation(key).is_some_and(|(base, ..)| base == "filename" || base == "name")
                    || std::str::from_utf8(v).is_ok()
            })
            && ["filename", "name"].iter().all(|base| {
                joined(&params, base).is_none_or(|(_, bytes)| std::str::from_utf8(&bytes).is_ok())
            })
    })
}

enum Named {
    /// Written in RFC 2231 form, decoded.
    Encoded(String),
    Plain,
    Absent,
}

fn named(params: &[Param], base: &str) -> Named {
    let single = format!("{base}*");
    if let Some((_, v)) = params.iter().find(|(k, _)| *k == single) {
        let (charset, rest) = split_charset(v);
        return decoded(&charset, &percent_decode(rest));
    }
    if let Some((charset, bytes)) = joined(params, base) {
        return decoded(&charset, &bytes);
    }
    if params.iter().any(|(k, _)| k == base) {
        Named::Plain
    } else {
        Named::Absent
    }
}

fn decoded(charset: &str, bytes: &[u8]) -> Named {
    let name = decode(charset, bytes);
    if name.trim().is_empty() {
        Named::Absent
    } else {
        Named::Encoded(name)
    }
}

/// `*N` or `*N*` after the base name: the segment's index and whether it
/// is percent-encoded.
fn continuation(key: &str) -> Option<(&str, u32, bool)> {
    let (base, rest) = key.split_once('*')?;
    let (digits, encoded) = match rest.strip_suffix('*') {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base, digits.parse().ok()?, encoded))
}

/// The continuation segments of `base`, in order, joined into bytes, with
/// the charset the first one names (RFC 2231 §4.1: only the first may).
fn joined(params: &[Param], base: &str) -> Option<(String, Vec<u8>)> {
    let mut segments: Vec<(u32, bool, &[u8])> = params
        .iter()
        .filter_map(|(k, v)| {
            let (b, index, encoded) = continuation(k)?;
            (b == base).then_some((index, encoded, v.as_slice()))
        })
        .collect();
    if segments.is_empty() {
        return None;
    }
    // A repeated index is a mailer bug; the first one wins.
    segments.sort_by_key(|s| s.0);
    segments.dedup_by_key(|s| s.0);
    let mut charset = String::new();
    let mut bytes = Vec::new();
    for (n, &(_, encoded, value)) in segments.iter().enumerate() {
        match (n, encoded) {
            (0, true) => {
                let (cs, rest) = split_charset(value);
                charset = cs;
                bytes.extend(percent_decode(rest));
            }
            (_, true) => bytes.extend(percent_decode(value)),
            (_, false) => bytes.extend_from_slice(value),
        }
    }
    Some((charset, bytes))
}

/// `charset'language'value` into the charset and the value.
fn split_charset(v: &[u8]) -> (String, &[u8]) {
    let Some(q1) = v.iter().position(|&b| b == b'\'') else {
        return (String::new(), v);
    };
    let rest = &v[q1 + 1..];
    let value = match rest.iter().position(|&b| b == b'\'') {
        Some(q2) => &rest[q2 + 1..],
        None => rest,
    };
    (String::from_utf8_lossy(&v[..q1]).trim().to_string(), value)
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(&h), Some(&l)) = (s.get(i + 1), s.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Bytes in the named charset. A missing or unknown charset, or a UTF-8
/// label on bytes that are not UTF-8, falls back to detection.
fn decode(charset: &str, bytes: &[u8]) -> String {
    let utf8 = std::str::from_utf8(bytes);
    let utf8_label = charset.is_empty()
        || charset.eq_ignore_ascii_case("utf-8")
        || charset.eq_ignore_ascii_case("utf8")
        || charset.eq_ignore_ascii_case("us-ascii");
    match charset_decoder(charset.as_bytes()) {
        Some(decode) if !(utf8_label && utf8.is_err()) => decode(bytes),
        _ => match utf8 {
            Ok(s) => s.to_string(),
            Err(_) => {
                let mut detector = chardetng::EncodingDetector::new();
                detector.feed(bytes, true);
                detector.guess(None, true).decode(bytes).0.into_owned()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(b: &[u8]) -> String {
        b.iter().map(|c| format!("%{c:02X}")).collect()
    }

    #[test]
    fn koi8r_continuations_are_joined_before_decoding() {
        let header = b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=koi8-r''%F3%DE%A3%D4%2D%C6%C1%CB;\r\n filename*1*=%D4%D5%D2%C1%20%37%2E%70%64%66\r\n";
        assert_eq!(filename(header).as_deref(), Some("Счёт-фактура 7.pdf"));
        let plain =
            b"Content-Disposition: attachment; filename*0=\"long \"; filename*1=\"name.txt\"\r\n";
        assert_eq!(filename(plain).as_deref(), Some("long name.txt"));
        assert_eq!(
            filename(b"Content-Disposition: attachment; filename=\"x.txt\"\r\n"),
            None
        );
    }

    #[test]
    fn a_last_segment_without_semicolon_stops_at_its_own_line() {
        let name = "Счёт за май.pdf".as_bytes();
        // Cut inside "ё" (D1 91).
        let cut = "Сч".len() + 1;
        let header = format!(
            "Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''{};\r\n filename*1*={}\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            pct(&name[..cut]),
            pct(&name[cut..])
        );
        assert_eq!(
            filename(header.as_bytes()).as_deref(),
            Some("Счёт за май.pdf")
        );
    }

    #[test]
    fn legacy_charsets_and_name_beside_filename() {
        let (koi, _, _) = encoding_rs::KOI8_R.encode("Отчёт.txt");
        let h = format!("Content-Type: text/plain; name*=koi8-r''{}\r\n", pct(&koi));
        assert_eq!(filename(h.as_bytes()).as_deref(), Some("Отчёт.txt"));
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("Прайс-лист.xls");
        let h = format!(
            "Content-Type: application/x;\r\n\tname*=windows-1251'ru'{}\r\n",
            pct(&cp)
        );
        assert_eq!(filename(h.as_bytes()).as_deref(), Some("Прайс-лист.xls"));
        let h = format!(
            "Content-Type: application/pdf; name=\"Akt.pdf\"\r\nContent-Disposition: attachment; filename*=UTF-8''{}\r\n",
            pct("Акт № 5.pdf".as_bytes())
        );
        assert_eq!(filename(h.as_bytes()).as_deref(), Some("Акт № 5.pdf"));
        // Content-Type's continuations come first and must not mix with
        // Content-Disposition's.
        let h = "Content-Type: image/jpeg;\r\n name*0*=utf-8''%D0%A4%D0%BE;\r\n name*1*=%D1%82%D0%BE.jpg\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''%D0%A4%D0%BE;\r\n filename*1*=%D1%82%D0%BE.jpg\r\n";
        assert_eq!(filename(h.as_bytes()).as_deref(), Some("Фото.jpg"));
        // A plain filename beats Content-Type's name*.
        let h = "Content-Type: text/plain; name*=utf-8''a.txt\r\nContent-Disposition: attachment; filename=\"b.txt\"\r\n";
        assert_eq!(filename(h.as_bytes()), None);
    }

    #[test]
    fn raw_utf8_cut_between_segments_is_joined() {
        let name = "Договор.docx".as_bytes();
        let cut = 3; // inside "о"
        let mut header = b"Content-Disposition: attachment;\r\n filename*0=\"".to_vec();
        header.extend_from_slice(&name[..cut]);
        header.extend_from_slice(b"\";\r\n filename*1=\"");
        header.extend_from_slice(&name[cut..]);
        header.extend_from_slice(b"\"\r\nContent-Transfer-Encoding: base64\r\n");
        assert!(std::str::from_utf8(&header).is_err());
        assert!(only_split_names_break_utf8(&header));
        assert_eq!(filename(&header).as_deref(), Some("Договор.docx"));
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("Subject: Счёт\r\n");
        assert!(!only_split_names_break_utf8(&cp));
    }

    #[test]
    fn quoted_semicolons_and_junk_do_not_break_parameters() {
        let h =
            b"Content-Disposition: attachment; x=\"a;b\"; filename*=utf-8''%41%42.txt; junk\r\n";
        assert_eq!(filename(h).as_deref(), Some("AB.txt"));
        assert_eq!(
            filename(b"Content-Disposition: attachment; filename*=\r\n"),
            None
        );
        assert_eq!(
            filename(b"Content-Disposition: attachment; filename*99999999999*=x\r\n"),
            None
        );
    }
}
