//! Repairs applied to raw mail bytes before mail-parser reads them, for
//! real-world damage it does not handle by itself:
//!
//! - multiparts left open by a mail cut off in transit are closed, so the
//!   last part is read as what it is, not as an undecoded attachment;
//! - adjacent RFC 2047 encoded-words of one charset are joined before
//!   decoding, because a multi-byte character may be split across them
//!   (RFC 2047 §5 forbids it; many mailers do it anyway);
//! - header lines with raw 8-bit bytes that are not UTF-8 (no encoded
//!   words at all) are decoded with a detected charset instead of being
//!   read as Latin-1;
//! - text parts without a charset parameter whose bytes are not UTF-8 get
//!   the detected charset added to their Content-Type;
//! - base64 bodies a strict decoder rejects (a garbage line, missing
//!   padding) are decoded leniently and written back as clean base64.
//!
//! Other bodies are never changed. Detection uses chardetng (Firefox's
//! detector) and encoding_rs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::boundary;
use super::header::{field, fields, token};
use super::{base64 as lenient, rfc2231};

/// The repaired message and what was done to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repaired {
    /// The input unchanged when nothing needed doing.
    pub bytes: Vec<u8>,
    /// Short English notes for the agent reading the ticket, one per kind
    /// of repair ("body: damaged base64 repaired").
    pub notes: Vec<String>,
    /// Some bytes could not be recovered and were skipped.
    pub lossy: bool,
}

impl Repaired {
    fn note(&mut self, note: &str) {
        if !self.notes.iter().any(|n| n == note) {
            self.notes.push(note.to_string());
        }
    }
}

/// Repairs a raw mail. Never fails.
pub fn repair(raw: &[u8]) -> Repaired {
    let mut done = Repaired::default();
    let mut skeleton = boundary::scan(raw);
    let closed = boundary::close_open(raw, &skeleton);
    let raw = match &closed {
        Some(bytes) => {
            done.note("mime: unterminated multipart closed");
            skeleton = boundary::scan(bytes);
            bytes.as_slice()
        }
        None => raw,
    };
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut pos = 0;
    let mut delimiters = skeleton.delimiters.iter().peekable();
    for header in &skeleton.headers {
        if header.start < pos {
            continue;
        }
        let block = &raw[header.clone()];
        out.extend_from_slice(&raw[pos..header.start]);
        out.extend_from_slice(&repair_header_block(block, raw, header.end));
        pos = header.end;
        while delimiters.next_if(|d| d.start < header.end).is_some() {}
        let body_end = delimiters.peek().map_or(raw.len(), |d| d.start);
        if let Some(body) = repair_base64(block, &raw[header.end..body_end], &mut done) {
            out.extend_from_slice(&body);
            pos = body_end;
        }
    }
    out.extend_from_slice(&raw[pos..]);
    done.bytes = out;
    done
}

/// A base64 body a strict decoder would reject, decoded leniently and
/// encoded again; None when the part is not base64 or is clean.
fn repair_base64(header: &[u8], body: &[u8], done: &mut Repaired) -> Option<Vec<u8>> {
    let fields = fields(header);
    let kind = field(&fields, "content-type")
        .map(token)
        .unwrap_or_default();
    let base64 = field(&fields, "content-transfer-encoding").is_some_and(|e| token(e) == "base64");
    if !base64
        || kind.starts_with("multipart/")
        || lenient::is_clean(body)
        || !lenient::looks_like_base64(body)
    {
        return None;
    }
    let (bytes, damage) = lenient::decode_lenient(body);
    if damage.any() {
        let what = if kind.is_empty() || kind.starts_with("text/") {
            "body"
        } else {
            "attachment"
        };
        done.note(&format!("{what}: damaged base64 repaired"));
        done.lossy |= damage.lost;
    }
    Some(lenient::encode_lines(&bytes))
}

fn repair_header_block(block: &[u8], raw: &[u8], body_start: usize) -> Vec<u8> {
    let mut block = block.to_vec();
    if std::str::from_utf8(&block).is_err() {
        if rfc2231::only_split_names_break_utf8(&block) {
            // Raw UTF-8 cut between file name segments: decoding it as a
            // legacy charset would garble the name that rfc2231 joins.
            return block;
        }
        block = decode_8bit_headers(&block);
    }
    let text = String::from_utf8_lossy(&block).into_owned();
    let mut text = decode_glued_words(&merge_encoded_words(&text));
    if let Some(fixed) = add_missing_charset(&text, raw, body_start) {
        text = fixed;
    }
    text.into_bytes()
}

/// Decodes raw non-UTF-8 header bytes with a detected charset; the result
/// is UTF-8, which mail-parser reads as such (RFC 6532).
fn decode_8bit_headers(block: &[u8]) -> Vec<u8> {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(block, true);
    let encoding = detector.guess(None, true);
    let (text, _, _) = encoding.decode(block);
    text.into_owned().into_bytes()
}

/// One RFC 2047 encoded-word: `=?charset?B|Q?text?=`.
struct Word<'a> {
    start: usize,
    end: usize,
    charset: &'a str,
    encoding: u8,
    text: &'a str,
}

fn next_word(s: &str, from: usize) -> Option<Word<'_>> {
    let start = from + s[from..].find("=?")?;
    let rest = &s[start + 2..];
    let q1 = rest.find('?')?;
    let charset = &rest[..q1];
    if charset.is_empty() || charset.contains(|c: char| c.is_whitespace() || c == '=') {
        return None;
    }
    let enc = rest.as_bytes().get(q1 + 1)?.to_ascii_uppercase();
    if rest.as_bytes().get(q1 + 2) != Some(&b'?') || !(enc == b'B' || enc == b'Q') {
        return None;
    }
    let text_start = q1 + 3;
    let text_len = rest[text_start..].find("?=")?;
    let text = &rest[text_start..text_start + text_len];
    if text.contains(char::is_whitespace) {
        return None;
    }
    Some(Word {
        start,
        end: start + 2 + text_start + text_len + 2,
        charset,
        encoding: enc,
        text,
    })
}

/// Joins runs of adjacent encoded-words (separated only by whitespace,
/// which RFC 2047 says to drop) of the same charset and encoding into one.
pub fn merge_encoded_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut search = 0;
    while let Some(first) = next_word(s, search) {
        let mut run = vec![first];
        loop {
            let last = run.last().map_or(0, |w| w.end);
            match next_word(s, last) {
                Some(w)
                    if s[last..w.start].chars().all(char::is_whitespace)
                        && w.charset.eq_ignore_ascii_case(run[0].charset)
                        && w.encoding == run[0].encoding =>
                {
                    run.push(w)
                }
                _ => break,
            }
        }
        let end = run.last().map_or(0, |w| w.end);
        if run.len() > 1 {
            let merged = match run[0].encoding {
                b'B' => {
                    let mut bytes = Vec::new();
                    let mut ok = true;
                    for w in &run {
                        match STANDARD
                            .decode(w.text.trim_end_matches('='))
                            .or_else(|_| STANDARD.decode(w.text))
                        {
                            Ok(b) => bytes.extend(b),
                            Err(_) => ok = false,
                        }
                    }
                    ok.then(|| format!("=?{}?B?{}?=", run[0].charset, STANDARD.encode(bytes)))
                }
                _ => Some(format!(
                    "=?{}?Q?{}?=",
                    run[0].charset,
                    run.iter().map(|w| w.text).collect::<String>()
                )),
            };
            if let Some(merged) = merged {
                out.push_str(&s[pos..run[0].start]);
                out.push_str(&merged);
                pos = end;
            }
        }
        search = end;
    }
    out.push_str(&s[pos..]);
    out
}

/// Encoded-words glued to the text around them ("=?utf-8?B?...?=. Mail")
/// break RFC 2047 §5; parsers then insert spaces. Such words are decoded
/// in place to UTF-8, which mail-parser reads as is (RFC 6532).
pub fn decode_glued_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut search = 0;
    while let Some(w) = next_word(s, search) {
        let before = s[..w.start].chars().next_back();
        let after = s[w.end..].chars().next();
        let glued = matches!(after, Some(c) if !c.is_whitespace() && !s[w.end..].starts_with("=?"))
            || matches!(before, Some(c) if !c.is_whitespace() && c != ':' && c != '"' && c != '(' && !s[..w.start].ends_with("?="));
        if glued && let Some(text) = decode_word(&w) {
            out.push_str(&s[pos..w.start]);
            out.push_str(&text);
            pos = w.end;
        }
        search = w.end;
    }
    out.push_str(&s[pos..]);
    out
}

fn decode_word(w: &Word<'_>) -> Option<String> {
    let bytes = match w.encoding {
        b'B' => STANDARD
            .decode(w.text.trim_end_matches('='))
            .or_else(|_| STANDARD.decode(w.text))
            .ok()?,
        _ => quoted_printable(w.text.replace('_', " ").as_bytes()),
    };
    let charset = w.charset.split('*').next().unwrap_or(w.charset);
    Some(
        match mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes()) {
            Some(decode) => decode(&bytes),
            None => String::from_utf8_lossy(&bytes).into_owned(),
        },
    )
}

/// For a text part without a charset whose body is not UTF-8, adds the
/// detected charset to its Content-Type.
fn add_missing_charset(headers: &str, raw: &[u8], body_start: usize) -> Option<String> {
    let lower = headers.to_ascii_lowercase();
    let ct_at = lower.find("content-type:");
    let ct_line_end = ct_at.map(|at| {
        // The header runs until a line that does not start with whitespace.
        let mut end = at;
        for (i, line) in headers[at..].split_inclusive('\n').enumerate() {
            if i > 0 && !line.starts_with([' ', '\t']) {
                break;
            }
            end += line.len();
        }
        end
    });
    let value = match (ct_at, ct_line_end) {
        (Some(at), Some(end)) => lower[at + "content-type:".len()..end].to_string(),
        // No Content-Type at all means text/plain (RFC 2045 §5.2), but only
        // at the top level or inside a multipart; accept both.
        _ => "text/plain".to_string(),
    };
    let value = value.trim();
    if !value.starts_with("text/") || value.contains("charset") {
        return None;
    }
    let body = body_bytes(raw, body_start, &lower);
    if body.is_ascii() || std::str::from_utf8(&body).is_ok() {
        return None;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(&body, true);
    let charset = detector.guess(None, true).name();
    Some(match (ct_at, ct_line_end) {
        (Some(_), Some(end)) => {
            let line = headers[..end].trim_end_matches(['\r', '\n']);
            let newline = &headers[line.len()..end];
            format!("{line}; charset=\"{charset}\"{newline}{}", &headers[end..])
        }
        _ => {
            let newline = if headers.ends_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            let head = headers.strip_suffix(newline).unwrap_or(headers);
            format!("{head}Content-Type: text/plain; charset=\"{charset}\"{newline}{newline}")
        }
    })
}

/// The part's body after its transfer encoding, up to the next boundary
/// line (at most 64 KiB: enough to detect a charset).
fn body_bytes(raw: &[u8], start: usize, lower_headers: &str) -> Vec<u8> {
    let rest = &raw[start.min(raw.len())..];
    let end = rest
        .windows(3)
        .position(|w| w[0] == b'\n' && w[1] == b'-' && w[2] == b'-')
        .map_or(rest.len(), |p| p + 1);
    let body = &rest[..end.min(64 * 1024)];
    if lower_headers.contains("quoted-printable") {
        quoted_printable(body)
    } else if lower_headers.contains("base64") {
        lenient::decode_lenient(body).0
    } else {
        body.to_vec()
    }
}

fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'=' if body.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if body.get(i + 1) == Some(&b'\r') && body.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' => match body
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(raw: &[u8]) -> String {
        let fixed = repair(raw).bytes;
        let msg = mail_parser::MessageParser::default()
            .parse(&fixed)
            .expect("parses");
        msg.subject().unwrap_or("").to_string()
    }

    #[test]
    fn a_character_split_across_encoded_words_survives() {
        // "Заявка" in UTF-8, base64, cut in the middle of "я" (D1 8F).
        let bytes = "Заявка на ремонт".as_bytes();
        let (a, b) = bytes.split_at(5);
        let raw = format!(
            "Subject: =?UTF-8?B?{}?=\r\n =?utf-8?B?{}?=\r\nFrom: a@b.c\r\n\r\nbody\r\n",
            STANDARD.encode(a),
            STANDARD.encode(b)
        );
        assert_eq!(subject(raw.as_bytes()), "Заявка на ремонт");
    }

    #[test]
    fn quoted_printable_words_are_joined_too() {
        let raw =
            b"Subject: =?utf-8?Q?=D0=97=D0?= =?utf-8?Q?=B0=D1=8F=D0=B2=D0=BA=D0=B0?=\r\n\r\nx\r\n";
        assert_eq!(subject(raw), "Заявка");
    }

    #[test]
    fn words_of_different_charsets_stay_apart() {
        let raw = "Subject: =?koi8-r?B?8NLJ18XU?= =?utf-8?B?0LzQuNGA?=\r\n\r\nx\r\n";
        assert_eq!(subject(raw.as_bytes()), "Приветмир");
    }

    #[test]
    fn raw_8bit_windows_1251_headers_are_detected() {
        let (subject_bytes, _, _) =
            encoding_rs::WINDOWS_1251.encode("Не работает почтовый ящик на сервере");
        let mut raw = b"Subject: ".to_vec();
        raw.extend_from_slice(&subject_bytes);
        raw.extend_from_slice(b"\r\nFrom: a@b.c\r\n\r\nbody\r\n");
        assert_eq!(subject(&raw), "Не работает почтовый ящик на сервере");
    }

    #[test]
    fn a_text_body_without_charset_is_detected() {
        let (body, _, _) = encoding_rs::KOI8_R
            .encode("Здравствуйте, у нас перестал открываться сайт. Помогите, пожалуйста.");
        let mut raw = b"Subject: x\r\nContent-Type: text/plain\r\n\r\n".to_vec();
        raw.extend_from_slice(&body);
        let fixed = repair(&raw).bytes;
        let msg = mail_parser::MessageParser::default()
            .parse(&fixed)
            .expect("parses");
        assert!(
            msg.body_text(0)
                .expect("text")
                .contains("перестал открываться сайт")
        );
    }

    #[test]
    fn parts_inside_multiparts_are_repaired_and_bodies_untouched() {
        let (body, _, _) =
            encoding_rs::WINDOWS_1251.encode("Счёт оплачен, но услуга не продлилась");
        let mut raw = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
        raw.extend_from_slice(&body);
        raw.extend_from_slice(b"\r\n--b1--\r\n");
        let fixed = repair(&raw).bytes;
        assert!(
            fixed.windows(body.len()).any(|w| w == &body[..]),
            "the body bytes are kept"
        );
        let msg = mail_parser::MessageParser::default()
            .parse(&fixed)
            .expect("parses");
        assert!(
            msg.body_text(0)
                .expect("text")
                .contains("услуга не продлилась")
        );
    }

    #[test]
    fn an_encoded_word_glued_to_text_gets_no_extra_space() {
        let raw = b"Subject: =?UTF-8?B?0J3QtSDQtNC+0YHRgtCw0LLQu9C10L3Qvg==?=. Mail failure.\r\n\r\nx\r\n";
        assert_eq!(subject(raw), "Не доставлено. Mail failure.");
    }

    #[test]
    fn damaged_base64_is_written_back_clean_and_mislabelled_text_is_kept() {
        let text = "Счёт оплачен, но услуга не продлилась. Проверьте, пожалуйста.";
        let encoded = STANDARD.encode(text);
        let (a, b) = encoded.split_at(40);
        let raw = format!(
            "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{a}\r\n#junk#\r\n{b}\r\n--m\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nNot base64 at all, sorry.\r\n--m--\r\n"
        );
        let fixed = repair(raw.as_bytes());
        assert_eq!(fixed.notes, ["body: damaged base64 repaired"]);
        assert!(fixed.lossy);
        let msg = mail_parser::MessageParser::default()
            .parse(&fixed.bytes)
            .expect("parses");
        assert_eq!(msg.body_text(0).as_deref(), Some(text));
        let out = String::from_utf8_lossy(&fixed.bytes);
        assert!(
            out.contains("\r\n\r\nNot base64 at all, sorry.\r\n--m--"),
            "{out}"
        );
    }

    #[test]
    fn clean_mail_is_left_alone() {
        let raw = b"Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n";
        assert_eq!(
            repair(raw),
            Repaired {
                bytes: raw.to_vec(),
                ..Repaired::default()
            }
        );
    }
}
