//! From raw bytes to what the gateway decides on: addresses, threading
//! headers, decoded text, sanitised HTML, attachments, the automatic-mail
//! and spam signals, and delivery reports. Never fails: a message that
//! cannot be parsed becomes its raw text with a note that it is damaged.
//! Pure: no I/O.

use std::borrow::Cow;

use mail_parser::{Address, HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};
use time::OffsetDateTime;

use super::limits::{
    self, MAX_ATTACHMENTS, MAX_DISPLAY_NAME_CHARS, MAX_REFERENCES, MAX_SUBJECT_CHARS,
};
use super::{html, repair, rfc2231};
use crate::domain::email;

/// A mailbox as written in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Normalised (lower-cased).
    pub address: String,
    pub name: Option<String>,
}

/// A file in the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub content_id: Option<String>,
    pub inline: bool,
}

/// A delivery status notification (RFC 3464), or a bounce that looks like one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// `delivery-status`, `disposition-notification`, `feedback-report`...
    pub report_type: String,
    /// Recipients whose delivery failed for good.
    pub failed: Vec<String>,
    /// Whether any recipient's action is "failed" (not "delayed").
    pub any_failed: bool,
    /// The Message-ID of the message it reports on.
    pub original_message_id: Option<String>,
}

/// Everything the gateway looks at.
#[derive(Debug, Clone, Default)]
pub struct ParsedMail {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Delivered-To, X-Original-To, Envelope-To: where the server delivered it.
    pub delivered_to: Vec<String>,
    /// The envelope sender from Return-Path; `Some("")` for a null sender.
    pub return_path: Option<String>,
    pub subject: Option<String>,
    pub date: Option<OffsetDateTime>,
    /// The whole decoded text (HTML converted when there is no text part).
    pub text: String,
    /// Sanitised HTML, when the mail has an HTML body.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub auto_submitted: Option<String>,
    pub autoreply_header: bool,
    pub precedence: Option<String>,
    pub list_id: Option<String>,
    pub spam_flag: bool,
    pub spam_verdict: Option<String>,
    pub authentication_results: Option<String>,
    pub report: Option<Report>,
    /// Parts of the mail could not be read; what could be was kept.
    pub damaged: bool,
    /// What was repaired or cut to read and store the mail, as short
    /// English notes for the agent ("body: damaged base64 repaired");
    /// empty for a clean mail.
    pub repairs: Vec<String>,
    /// Attachment parts left out past [`limits::MAX_ATTACHMENTS`].
    pub attachments_dropped: usize,
}

fn mailboxes(addr: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(addr) = addr else { return Vec::new() };
    addr.iter()
        .filter_map(|a| {
            let address = email::normalize(a.address()?)?;
            let name = a
                .name()
                .map(|n| n.trim().trim_matches('"').trim().to_string())
                .filter(|n| !n.is_empty() && *n != address);
            Some(Mailbox { address, name })
        })
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn text_header(msg: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    msg.header_raw(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Parses a raw mail. Never fails.
pub fn parse(raw: &[u8]) -> ParsedMail {
    let fixed = repair::repair(raw);
    let repaired = fixed.bytes;
    let Some(msg) = MessageParser::default().parse(&repaired) else {
        return unreadable(raw);
    };
    let mut out = ParsedMail {
        message_id: msg
            .message_id()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from: mailboxes(msg.from()).into_iter().next(),
        reply_to: mailboxes(msg.reply_to()).into_iter().next(),
        to: mailboxes(msg.to()),
        cc: mailboxes(msg.cc()),
        subject: msg
            .subject()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        date: msg
            .date()
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.to_timestamp()).ok()),
        auto_submitted: text_header(&msg, "Auto-Submitted").map(|v| v.to_ascii_lowercase()),
        autoreply_header: msg.header_raw("X-Autoreply").is_some()
            || msg.header_raw("X-Autorespond").is_some(),
        precedence: text_header(&msg, "Precedence").map(|v| v.to_ascii_lowercase()),
        list_id: text_header(&msg, "List-Id"),
        authentication_results: text_header(&msg, "Authentication-Results"),
        damaged: fixed.lossy,
        repairs: fixed.notes,
        ..ParsedMail::default()
    };
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for (header, value) in msg.headers_raw() {
            if header.eq_ignore_ascii_case(name)
                && let Some(a) = email::normalize(value.trim().trim_matches(['<', '>']))
                && !out.delivered_to.contains(&a)
            {
                out.delivered_to.push(a);
            }
        }
    }
    out.return_path = msg.header_raw("Return-Path").map(|v| {
        let v = v
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        email::normalize(v).unwrap_or_default()
    });
    let flag = text_header(&msg, "X-Spam-Flag").map(|v| v.to_ascii_lowercase());
    let status = text_header(&msg, "X-Spam-Status");
    out.spam_flag = flag.as_deref() == Some("yes")
        || status
            .as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().starts_with("yes"));
    out.spam_verdict = status.or(flag);

    let sanitized = msg.body_html(0).map(|h| html::sanitize(&h));
    if sanitized.as_ref().is_some_and(|s| s.flattened) {
        out.repairs
            .push("html: too costly to sanitise, shown as text".into());
    }
    out.html = sanitized.map(|s| s.html).filter(|h| !h.trim().is_empty());
    let texts: Vec<String> = (0..msg.text_body_count())
        .filter_map(|i| msg.body_text(i).map(Cow::into_owned))
        .collect();
    out.text = if msg.text_part(0).is_some_and(|p| !p.is_text_html()) || out.html.is_none() {
        texts.join("\n\n")
    } else {
        mail_parser::decoders::html::html_to_text(out.html.as_deref().unwrap_or(""))
    };
    out.text = out.text.replace("\r\n", "\n");

    for part in &msg.parts {
        out.damaged |= part.is_encoding_problem;
    }
    for &index in &msg.attachments {
        let Some(part) = msg.parts.get(index as usize) else {
            continue;
        };
        if out.attachments.len() == MAX_ATTACHMENTS {
            out.attachments_dropped += 1;
            continue;
        }
        match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                out.attachments.push(attachment(&repaired, part, bytes))
            }
            PartType::Text(text) | PartType::Html(text) => {
                out.attachments
                    .push(attachment(&repaired, part, text.as_bytes()))
            }
            PartType::Message(inner) => {
                let mut a = attachment(&repaired, part, inner.raw_message());
                if a.filename == "attachment" {
                    a.filename = format!(
                        "{}.eml",
                        inner.subject().map_or("message".into(), safe_name)
                    );
                }
                a.content_type = "message/rfc822".into();
                out.attachments.push(a);
            }
            PartType::Multipart(_) => {}
        }
    }
    if out.text.trim().is_empty() && out.html.is_none() && out.attachments.is_empty() {
        // Nothing readable as a body: keep the raw text rather than nothing.
        let body_at = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |p| p + 4);
        let fallback = unreadable(&raw[body_at..]);
        out.text = if fallback.text.trim().is_empty() {
            unreadable(raw).text
        } else {
            fallback.text
        };
        out.damaged = true;
    }
    out.report = delivery_report(&msg);
    scrub(&mut out);
    cap(&mut out);
    out
}

/// Applies [`limits`]: what one mail may make us store.
fn cap(m: &mut ParsedMail) {
    if let Some(subject) = &mut m.subject
        && subject.chars().nth(MAX_SUBJECT_CHARS).is_some()
    {
        *subject = limits::cap_chars(subject, MAX_SUBJECT_CHARS).to_string();
        m.repairs
            .push(format!("subject: cut to {MAX_SUBJECT_CHARS} characters"));
    }
    for mb in m
        .from
        .iter_mut()
        .chain(m.reply_to.iter_mut())
        .chain(m.to.iter_mut())
        .chain(m.cc.iter_mut())
    {
        if let Some(name) = &mut mb.name {
            *name = limits::cap_chars(name, MAX_DISPLAY_NAME_CHARS).to_string();
        }
    }
    for a in &mut m.attachments {
        a.filename = limits::cap_filename(&a.filename);
    }
    if m.attachments_dropped > 0 {
        m.repairs.push(format!(
            "attachments: {} left out (limit {MAX_ATTACHMENTS})",
            m.attachments_dropped
        ));
    }
    let dropped = limits::cap_references(&mut m.references, MAX_REFERENCES);
    if dropped > 0 {
        m.repairs
            .push(format!("references: {dropped} middle Message-IDs left out"));
    }
    m.in_reply_to.truncate(MAX_REFERENCES);
}

/// PostgreSQL text holds no NUL, and one-line fields no line breaks or
/// other control characters; what the sender meant survives.
fn scrub(m: &mut ParsedMail) {
    let line = |s: &str| s.chars().filter(|c| !c.is_control()).collect::<String>();
    m.text = m.text.replace('\0', "");
    m.html = m.html.as_ref().map(|h| h.replace('\0', ""));
    m.subject = m.subject.as_deref().map(line);
    for mb in m
        .from
        .iter_mut()
        .chain(m.reply_to.iter_mut())
        .chain(m.to.iter_mut())
        .chain(m.cc.iter_mut())
    {
        mb.name = mb.name.as_deref().map(line);
    }
    m.message_id = m.message_id.as_deref().map(line).filter(|s| !s.is_empty());
    for a in &mut m.attachments {
        a.filename = line(&a.filename);
    }
}

fn safe_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !"/\\:\"*?<>|".contains(*c))
        .take(80)
        .collect()
}

fn attachment(raw: &[u8], part: &MessagePart<'_>, bytes: &[u8]) -> Attachment {
    let header = raw
        .get(part.raw_header_offset() as usize..part.raw_body_offset() as usize)
        .unwrap_or(&[]);
    let filename = rfc2231::filename(header)
        .or_else(|| part.attachment_name().map(str::to_string))
        .map(|n| crate::domain::uploads::clean_filename(&n))
        .unwrap_or_else(|| "attachment".to_string());
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
        .to_ascii_lowercase();
    Attachment {
        filename,
        content_type,
        bytes: bytes.to_vec(),
        content_id: part
            .content_id()
            .map(|c| c.trim().trim_matches(['<', '>']).to_string()),
        inline: part
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"))
            || part.content_id().is_some(),
    }
}

fn delivery_report(msg: &mail_parser::Message<'_>) -> Option<Report> {
    let root = msg.root_part();
    let ct = root.content_type()?;
    if !(ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report")))
    {
        return None;
    }
    let mut report = Report {
        report_type: ct
            .attribute("report-type")
            .unwrap_or("")
            .to_ascii_lowercase(),
        ..Report::default()
    };
    for part in &msg.parts {
        let Some(pct) = part.content_type() else {
            continue;
        };
        let sub = pct.subtype().unwrap_or("").to_ascii_lowercase();
        let ctype = pct.ctype().to_ascii_lowercase();
        if ctype == "message" && (sub == "delivery-status" || sub == "global-delivery-status") {
            let text = String::from_utf8_lossy(part.contents()).into_owned();
            read_delivery_status(&text, &mut report);
        }
        if (ctype == "text" && sub == "rfc822-headers") || (ctype == "message" && sub == "rfc822") {
            let inner = match &part.body {
                PartType::Message(m) => m.message_id().map(str::to_string),
                _ => MessageParser::default()
                    .parse_headers(part.contents())
                    .and_then(|m| m.message_id().map(str::to_string)),
            };
            report.original_message_id = report.original_message_id.or(inner);
        }
    }
    Some(report)
}

fn read_delivery_status(text: &str, report: &mut Report) {
    // Per-recipient blocks are separated by empty lines; the first block
    // is per-message.
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let field = |name: &str| {
            block.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let action = field("Action").map(|a| a.to_ascii_lowercase());
        let recipient = field("Final-Recipient").or_else(|| field("Original-Recipient"));
        if action.as_deref() == Some("failed") {
            report.any_failed = true;
            if let Some(r) = recipient
                .and_then(|r| email::normalize(r.split_once(';').map_or(r.as_str(), |(_, a)| a)))
            {
                report.failed.push(r);
            }
        }
    }
}

fn unreadable(raw: &[u8]) -> ParsedMail {
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t.to_string(),
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(raw, true);
            detector.guess(None, true).decode(raw).0.into_owned()
        }
    };
    let mut m = ParsedMail {
        text,
        damaged: true,
        ..ParsedMail::default()
    };
    scrub(&mut m);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn koi8r_subject_body_and_sender_name_decode() {
        let (body, _, _) = encoding_rs::KOI8_R.encode("Не работает сайт");
        let mut raw = b"From: =?koi8-r?B?8NLJ18XU?= <Ivan@Example.RU>\r\nTo: support@help.test\r\nSubject: =?KOI8-R?B?8NLJ18XU?=\r\nMessage-ID: <abc@example.ru>\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
        raw.extend_from_slice(&body);
        let m = parse(&raw);
        assert_eq!(m.subject.as_deref(), Some("Привет"));
        assert_eq!(
            m.from,
            Some(Mailbox {
                address: "ivan@example.ru".into(),
                name: Some("Привет".into())
            })
        );
        assert_eq!(m.text.trim(), "Не работает сайт");
        assert_eq!(m.message_id.as_deref(), Some("abc@example.ru"));
        assert_eq!(m.to[0].address, "support@help.test");
    }

    #[test]
    fn cp866_and_windows_1251_bodies_decode() {
        for (charset, enc) in [
            ("cp866", encoding_rs::IBM866),
            ("windows-1251", encoding_rs::WINDOWS_1251),
            ("iso-8859-5", encoding_rs::ISO_8859_5),
        ] {
            let (body, _, _) = enc.encode("Ошибка при оплате счёта");
            let mut raw =
                format!("Subject: t\r\nContent-Type: text/plain; charset={charset}\r\n\r\n")
                    .into_bytes();
            raw.extend_from_slice(&body);
            assert_eq!(
                parse(&raw).text.trim(),
                "Ошибка при оплате счёта",
                "{charset}"
            );
        }
    }

    #[test]
    fn an_unknown_charset_never_aborts_the_mail() {
        let raw = b"Subject: =?x-unknown-42?B?SGVsbG8=?=\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\nHello there\r\n";
        let m = parse(raw);
        assert!(m.text.contains("Hello there"));
    }

    fn fixture(name: &str) -> ParsedMail {
        let path = format!("{}/tests/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"));
        parse(&std::fs::read(&path).expect("fixture"))
    }

    #[test]
    fn rfc2231_names_come_out_exactly() {
        let m = fixture("rfc2231-names.eml");
        let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(
            names,
            [
                "Счёт за май.pdf",
                "Отчёт.txt",
                "Прайс-лист.xls",
                "Акт № 5.pdf",
                "Фото.jpg"
            ]
        );
        assert_eq!(m.attachments[0].bytes, b"%PDF-1.4\n");
        assert!(m.repairs.is_empty(), "{:?}", m.repairs);
    }

    #[test]
    fn a_cut_off_alternative_is_a_body_never_an_attachment() {
        let m = fixture("alternative-cut.eml");
        assert!(m.attachments.is_empty(), "{:?}", m.attachments);
        assert_eq!(
            m.text.trim(),
            "Здравствуйте! Не открывается личный кабинет, пишет «ошибка 502»."
        );
        let html = m.html.expect("the cut HTML is still the HTML body");
        assert!(html.contains("<b>личный кабинет</b>"), "{html}");
        assert_eq!(m.repairs, ["mime: unterminated multipart closed"]);
        // Cut inside an alternative nested in a mixed whose attachment follows.
        let raw = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nplain text\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>cut <i\r\n--m\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n";
        let m = parse(raw);
        assert_eq!(m.text.trim(), "plain text");
        assert_eq!(m.attachments.len(), 1, "{:?}", m.attachments);
        assert_eq!(m.attachments[0].filename, "a.pdf");
        assert_eq!(m.attachments[0].bytes, b"%PDF-1.4\n");
    }

    #[test]
    fn damaged_base64_bodies_are_decoded_and_noted() {
        let expected = "Добрый день! После обновления программа перестала печатать счета. Ошибка появляется при нажатии «Печать», версия 4.2.1. Please help, the invoices are due today.\n";
        for name in ["base64-garbage-line.eml", "base64-unpadded.eml"] {
            let m = fixture(name);
            assert_eq!(m.text, expected, "{name}");
            assert_eq!(m.repairs, ["body: damaged base64 repaired"], "{name}");
        }
        assert!(fixture("base64-garbage-line.eml").damaged);
        assert!(!fixture("base64-unpadded.eml").damaged);
        // A garbage line of base64 letters shifts everything after it.
        let body = ::base64::Engine::encode(&::base64::engine::general_purpose::STANDARD, expected);
        let mut lines: Vec<&str> = body
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        lines.insert(2, "garbage");
        let raw = format!(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            lines.join("\r\n")
        );
        assert_eq!(parse(raw.as_bytes()).text, expected);
    }

    #[test]
    fn one_mail_cannot_make_us_store_without_limit() {
        let mut raw = format!(
            "From: \"{}\" <a@b.test>\r\nSubject: {}\r\nReferences: {}\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n",
            "N".repeat(500),
            "S".repeat(5000),
            (0..300)
                .map(|i| format!("<{i}@x>"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for i in 0..130 {
            raw.push_str(&format!("--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{i}-{}.bin\"\r\n\r\nx\r\n", "л".repeat(190)));
        }
        raw.push_str("--b--\r\n");
        let m = parse(raw.as_bytes());
        assert_eq!(
            m.subject.as_deref().map(|s| s.chars().count()),
            Some(MAX_SUBJECT_CHARS)
        );
        let name = m.from.and_then(|f| f.name).expect("name");
        assert_eq!(name.chars().count(), MAX_DISPLAY_NAME_CHARS);
        assert_eq!(m.attachments.len(), MAX_ATTACHMENTS);
        assert_eq!(m.attachments_dropped, 30);
        assert!(m.attachments[0].filename.starts_with("0-л"));
        assert!(m.attachments.iter().all(
            |a| a.filename.len() <= limits::MAX_FILENAME_BYTES && a.filename.ends_with(".bin")
        ));
        assert_eq!(m.references.len(), MAX_REFERENCES);
        assert_eq!(m.references.first().map(String::as_str), Some("0@x"));
        assert_eq!(m.references.last().map(String::as_str), Some("299@x"));
        assert_eq!(
            m.repairs,
            [
                "subject: cut to 998 characters",
                "attachments: 30 left out (limit 100)",
                "references: 200 middle Message-IDs left out"
            ]
        );
    }

    #[test]
    fn html_too_costly_to_sanitise_is_shown_as_text_and_noted() {
        let raw = format!(
            "Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{}Не работает\r\n",
            "<div>".repeat(100_000)
        );
        let m = parse(raw.as_bytes());
        assert_eq!(m.repairs, ["html: too costly to sanitise, shown as text"]);
        assert!(m.text.contains("Не работает"));
        assert!(!m.html.expect("html").contains("<div>"));
    }

    #[test]
    fn attachments_and_inline_images_are_found() {
        let raw = b"Subject: files\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <img src=\"cid:img1@x\"></p><script>alert(1)</script>\r\n--XX\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: inline; filename=\"shot.png\"\r\n\r\niVBORw0KGgo=\r\n--XX\r\nContent-Type: text/plain; name=\"=?utf-8?B?0LvQvtCzLnR4dA==?=\"\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?0LvQvtCzLnR4dA==?=\"\r\n\r\nping output\r\n--XX--\r\n";
        let m = parse(raw);
        assert_eq!(m.attachments.len(), 2);
        assert_eq!(m.attachments[0].filename, "shot.png");
        assert!(m.attachments[0].inline);
        assert_eq!(m.attachments[0].content_id.as_deref(), Some("img1@x"));
        assert_eq!(m.attachments[1].filename, "лог.txt");
        let html = m.html.expect("html");
        assert!(html.contains("cid:img1@x") && !html.contains("script"));
        assert!(
            !m.text.contains("alert"),
            "script content never reaches the text"
        );
    }

    #[test]
    fn damaged_base64_and_a_missing_final_boundary_keep_what_can_be_read() {
        let raw = b"Subject: broken\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe text survives.\r\n--B\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC!!!AwQF\r\n";
        let m = parse(raw);
        assert!(m.text.contains("The text survives."));
        assert_eq!(m.attachments.len(), 1);
    }

    #[test]
    fn garbage_still_yields_text() {
        let m = parse(b"\xff\xfe\x00garbage without headers");
        assert!(!m.text.is_empty());
    }

    #[test]
    fn a_mail_that_mail_parser_cannot_read_still_holds_no_nul() {
        // Found by tests/it/mail_fuzz.rs: mail-parser gives up on this one.
        let m = parse(b"From email_test@m\0\0\0\0\0e.nowhere\r\n");
        assert!(m.damaged);
        assert_eq!(m.text, "From email_test@me.nowhere\r\n");
    }

    #[test]
    fn delivery_reports_name_failed_recipients_and_the_original() {
        let raw = b"From: MAILER-DAEMON@mx.test\r\nReturn-Path: <>\r\nSubject: Undelivered\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\nFinal-Recipient: rfc822; Gone@Example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\nFinal-Recipient: rfc822; slow@example.com\r\nAction: delayed\r\nStatus: 4.0.0\r\n\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <t1001.abc.def@help.test>\r\nSubject: x\r\n\r\n--R--\r\n";
        let m = parse(raw);
        assert_eq!(m.return_path.as_deref(), Some(""));
        let r = m.report.expect("report");
        assert_eq!(r.report_type, "delivery-status");
        assert!(r.any_failed);
        assert_eq!(r.failed, ["gone@example.com"]);
        assert_eq!(
            r.original_message_id.as_deref(),
            Some("t1001.abc.def@help.test")
        );
    }
}
