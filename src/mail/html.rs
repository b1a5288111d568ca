//! A mail's HTML made safe to show (ammonia), within a time and size
//! budget.
//!
//! html5ever, under ammonia, takes time that grows faster than the input
//! on HTML a stranger can write in a few kilobytes: every `<div>` inside
//! 100 000 open ones searches all of them (264 s in a debug build), a
//! formatting element left open is re-created in every following
//! paragraph (18 KB gave a million elements), and the serializer searches
//! the rest of a text node again after every `&` and every character
//! U+0080–U+00BF (40 000 « in one paragraph took 12 s). So the HTML is fed
//! to the parser in small pieces and written out through a writer, both
//! checking one deadline ([`limits::MAX_HTML_SANITISE_TIME`]) and the
//! output size ([`limits::MAX_HTML_GROWTH`]); past either the HTML is
//! shown as its text instead. The only clock read in the mail path.

use std::io;
use std::time::Instant;

use super::limits;

/// Sanitised HTML, and whether it had to be flattened to text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanitized {
    pub html: String,
    pub flattened: bool,
}

/// Bytes handed to the parser at a time: small, so the deadline is seen
/// between a few tags however much work each of them causes.
const PIECE: usize = 64;

/// HTML made safe to show: no scripts, styles, event handlers or frames;
/// links open safely; images only from our own attachments (`cid:`).
pub fn sanitize(html: &str) -> Sanitized {
    let deadline = Instant::now() + limits::MAX_HTML_SANITISE_TIME;
    let input = Paced {
        rest: html.as_bytes(),
        deadline,
    };
    let mut output = Budgeted {
        out: Vec::with_capacity(html.len()),
        max_out: html
            .len()
            .saturating_mul(limits::MAX_HTML_GROWTH)
            .max(1 << 20),
        deadline,
        writes: 0,
    };
    let written = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "cid"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean_from_reader(input)
        .and_then(|document| document.write_to(&mut output));
    match written {
        Ok(()) => Sanitized {
            html: String::from_utf8_lossy(&output.out).into_owned(),
            flattened: false,
        },
        Err(_) => Sanitized {
            html: text_as_html(&mail_parser::decoders::html::html_to_text(html)),
            flattened: true,
        },
    }
}

fn over_budget() -> io::Error {
    io::Error::other("HTML over its sanitising budget")
}

/// Plain text as HTML that shows it as it is.
fn text_as_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The HTML in pieces of [`PIECE`] bytes, until the deadline.
struct Paced<'a> {
    rest: &'a [u8],
    deadline: Instant,
}

impl io::Read for Paced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() > self.deadline {
            return Err(over_budget());
        }
        let n = self.rest.len().min(buf.len()).min(PIECE);
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

/// Collects the serializer's output, up to `max_out` bytes and the deadline.
struct Budgeted {
    out: Vec<u8>,
    max_out: usize,
    deadline: Instant,
    writes: u32,
}

impl io::Write for Budgeted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The serializer writes a few bytes at a time; the clock is read
        // every 64 writes, which is still after at most 64 searches.
        self.writes = self.writes.wrapping_add(1);
        if self.out.len() + buf.len() > self.max_out
            || (self.writes.is_multiple_of(64) && Instant::now() > self.deadline)
        {
            return Err(over_budget());
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_go_and_links_open_safely() {
        let s = sanitize(
            "<p onclick=\"x()\">Hi <a href=\"https://a.test/?a=1&amp;b=«2»\">«link»</a>&nbsp;©</p><script>alert(1)</script>",
        );
        assert!(!s.flattened);
        assert_eq!(
            s.html,
            "<p>Hi <a href=\"https://a.test/?a=1&amp;b=«2»\" rel=\"nofollow noopener noreferrer\">«link»</a>&nbsp;©</p>"
        );
    }

    /// Each took from seconds to minutes unguarded in a debug build.
    #[test]
    fn html_that_costs_more_than_its_size_is_shown_as_text() {
        let noah: String = (0..2000).map(|i| format!("<b id={i}>")).collect();
        let cases = [
            ("deep", format!("{}x", "<div>".repeat(100_000))),
            (
                "re-opened",
                format!("<p>{noah}</p>{}", "<p>x</p>".repeat(2000)),
            ),
            (
                "multiplied",
                format!(
                    "<p><b title=\"{}\">x</p>{}",
                    "t".repeat(10_000),
                    "<p>y</p>".repeat(4000)
                ),
            ),
            ("escapes", format!("<p>{}</p>", "« &amp; ".repeat(100_000))),
        ];
        for (what, html) in cases {
            let started = Instant::now();
            let s = sanitize(&html);
            let took = started.elapsed();
            assert!(s.flattened, "{what}");
            assert!(
                !s.html.contains("<div>") && !s.html.contains("<b id"),
                "{what}"
            );
            assert!(
                took < limits::MAX_HTML_SANITISE_TIME * 3,
                "{what}: {took:?}"
            );
        }
    }

    #[test]
    fn a_long_letter_with_quotes_and_entities_is_kept() {
        let s = sanitize(&"<p>«цитата» и&nbsp;&amp; ещё</p>".repeat(2000));
        assert!(!s.flattened);
        // Fed in pieces, characters cut between them still come out whole.
        assert!(!s.html.contains('\u{fffd}'));
        assert!(s.html.starts_with("<p>«цитата» и&nbsp;&amp; ещё</p>"));
    }
}
