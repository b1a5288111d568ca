//! The multipart skeleton of a raw mail (RFC 2046 §5.1): the boundaries
//! its headers declare, where each delimiter line and each part's header
//! block is, and closing the multiparts that a mail cut off in transit
//! left open. mail-parser reads the last part of an unclosed multipart as
//! an undecoded attachment, and an unclosed inner multipart swallows the
//! parts of the outer one. Bytes in, bytes out; pure.

use std::collections::HashMap;
use std::ops::Range;

use super::header::{field, fields, param, params, token};

/// A delimiter line: `--boundary`, or `--boundary--` when `closing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiter {
    /// Where the line starts, and where the line after it starts.
    pub start: usize,
    pub end: usize,
    /// Index into [`Skeleton::boundaries`].
    pub boundary: usize,
    pub closing: bool,
}

/// Where the pieces of a mail are, in order.
#[derive(Debug, Default)]
pub struct Skeleton {
    /// Boundaries declared by multipart headers.
    pub boundaries: Vec<Vec<u8>>,
    /// Each boundary's index in `boundaries`: one lookup per line, however
    /// many boundaries a hostile mail declares.
    index: HashMap<Vec<u8>, usize>,
    pub delimiters: Vec<Delimiter>,
    /// The message's header block, then every part's: from its first
    /// line to where its body starts.
    pub headers: Vec<Range<usize>>,
}

/// Walks the mail once, learning each boundary from the header that
/// declares it, so a `boundary=` in a body or a text that happens to
/// start with `--` is not taken for structure.
pub fn scan(raw: &[u8]) -> Skeleton {
    let mut s = Skeleton::default();
    let mut i = s.declare(raw, 0);
    while i < raw.len() {
        let end = line_end(raw, i);
        if let Some((boundary, closing)) = s.delimiter(&raw[i..end]) {
            s.delimiters.push(Delimiter {
                start: i,
                end,
                boundary,
                closing,
            });
            if !closing {
                i = s.declare(raw, end);
                continue;
            }
        }
        i = end;
    }
    s
}

impl Skeleton {
    /// Records the header block at `start` and reads it for a multipart
    /// boundary, and the header of an unencoded message/rfc822 after it.
    /// Returns where the body starts.
    fn declare(&mut self, raw: &[u8], mut start: usize) -> usize {
        let first = start;
        loop {
            let end = self.header_end(raw, start);
            if start == first {
                self.headers.push(start..end);
            }
            let fields = fields(&raw[start..end]);
            let Some(ct) = field(&fields, "content-type") else {
                return end;
            };
            let kind = token(ct);
            if kind.starts_with("multipart/") {
                if let Some(b) = param(&params(ct), "boundary")
                    && !b.is_empty()
                    && !self.index.contains_key(b)
                {
                    self.index.insert(b.to_vec(), self.boundaries.len());
                    self.boundaries.push(b.to_vec());
                }
                return end;
            }
            let encoded = field(&fields, "content-transfer-encoding")
                .map(token)
                .is_some_and(|e| e == "base64" || e == "quoted-printable");
            if !(kind.starts_with("message/") && !encoded && end > start) {
                return end;
            }
            start = end;
        }
    }

    /// Where the header block at `start` ends: after its empty line, or
    /// before a delimiter line when a part has no empty line.
    fn header_end(&self, raw: &[u8], start: usize) -> usize {
        let mut i = start;
        while i < raw.len() {
            let end = line_end(raw, i);
            let line = &raw[i..end];
            if line == b"\n" || line == b"\r\n" {
                return end;
            }
            if self.delimiter(line).is_some() {
                return i;
            }
            i = end;
        }
        raw.len()
    }

    /// Which boundary a line delimits, and whether it closes. The line
    /// holds the boundary and nothing else but trailing white space (RFC
    /// 2046 §5.1.1), so a single lookup finds it.
    fn delimiter(&self, line: &[u8]) -> Option<(usize, bool)> {
        let rest = line.strip_prefix(b"--")?.trim_ascii_end();
        if let Some(&i) = self.index.get(rest) {
            return Some((i, false));
        }
        let &i = self.index.get(rest.strip_suffix(b"--")?)?;
        Some((i, true))
    }
}

/// The mail with every multipart left open closed: before the next
/// delimiter of an enclosing multipart, or at the end. None when every
/// multipart is closed.
pub fn close_open(raw: &[u8], s: &Skeleton) -> Option<Vec<u8>> {
    let mut open: Vec<usize> = Vec::new();
    // Where each boundary sits in `open`, so a deep nest costs no search.
    let mut depth: Vec<Option<usize>> = vec![None; s.boundaries.len()];
    let mut inserts: Vec<(usize, Vec<usize>)> = Vec::new();
    for d in &s.delimiters {
        match depth[d.boundary] {
            Some(at) => {
                let inner: Vec<usize> = open.drain(at + 1..).rev().collect();
                inner.iter().for_each(|&b| depth[b] = None);
                if !inner.is_empty() {
                    inserts.push((d.start, inner));
                }
                if d.closing {
                    open.pop();
                    depth[d.boundary] = None;
                }
            }
            None if !d.closing => {
                depth[d.boundary] = Some(open.len());
                open.push(d.boundary);
            }
            None => {}
        }
    }
    if open.is_empty() && inserts.is_empty() {
        return None;
    }
    let close = |out: &mut Vec<u8>, b: usize| {
        out.extend_from_slice(b"--");
        out.extend_from_slice(&s.boundaries[b]);
        out.extend_from_slice(b"--\r\n");
    };
    let mut out = Vec::with_capacity(raw.len() + 128);
    let mut pos = 0;
    for (at, inner) in inserts {
        out.extend_from_slice(&raw[pos..at]);
        inner.into_iter().for_each(|b| close(&mut out, b));
        pos = at;
    }
    out.extend_from_slice(&raw[pos..]);
    if !out.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    open.into_iter().rev().for_each(|b| close(&mut out, b));
    Some(out)
}

/// Where the line starting at `i` ends (after its newline).
fn line_end(raw: &[u8], i: usize) -> usize {
    raw[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(raw.len(), |p| i + p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(raw: &str) -> Option<String> {
        close_open(raw.as_bytes(), &scan(raw.as_bytes()))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn a_cut_off_multipart_is_closed_at_the_end() {
        let raw = "Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nhi\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>h";
        assert_eq!(closed(raw), Some(format!("{raw}\r\n--a--\r\n")));
        let whole = format!("{raw}\r\n--a--\r\n");
        assert_eq!(closed(&whole), None);
    }

    #[test]
    fn an_open_inner_multipart_is_closed_before_the_outer_continues() {
        let raw = "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\nContent-Type: multipart/alternative;\r\n boundary=\"o-inner\"\r\n\r\n--o-inner\r\nContent-Type: text/plain\r\n\r\nhi\r\n--o\r\nContent-Type: application/pdf\r\n\r\nx\r\n--o--\r\n";
        let s = scan(raw.as_bytes());
        assert_eq!(s.boundaries, [b"o".to_vec(), b"o-inner".to_vec()]);
        let starts: Vec<usize> = s.headers.iter().map(|h| h.start).collect();
        assert_eq!(starts.len(), 4);
        assert_eq!(&raw[starts[1]..starts[1] + 13], "Content-Type:");
        let fixed = closed(raw).expect("closed");
        assert!(
            fixed.contains("hi\r\n--o-inner--\r\n--o\r\nContent-Type: application/pdf"),
            "{fixed}"
        );
        assert!(fixed.ends_with("--o--\r\n"));
    }

    #[test]
    fn a_part_header_without_its_empty_line_ends_at_the_next_delimiter() {
        let raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n";
        let s = scan(raw.as_bytes());
        assert_eq!(s.delimiters.len(), 3);
        assert_eq!(closed(raw), None);
    }

    #[test]
    fn boundaries_only_come_from_headers() {
        let raw = "Content-Type: text/plain\r\n\r\nboundary=\"x\"\r\n--x\r\nnot a part\r\n";
        let s = scan(raw.as_bytes());
        assert!(s.boundaries.is_empty() && s.delimiters.is_empty());
        assert_eq!(closed(raw), None);
    }
}
