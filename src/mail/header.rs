//! Header blocks read as bytes: fields unfolded one by one, and the
//! `; key=value` parameters of Content-Type and Content-Disposition. For
//! the repairs that run before mail-parser, which must not let one field
//! run into the next. Pure: no I/O.

/// A header field: lower-cased name and unfolded value.
pub type Field = (String, Vec<u8>);
/// A parameter: lower-cased name and its value, unquoted.
pub type Param = (String, Vec<u8>);

/// Unfolds a header block into fields (RFC 5322 §2.2.3); stops at the
/// empty line that ends it.
pub fn fields(header: &[u8]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    let mut open = false;
    for line in header.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if open && let Some((_, value)) = out.last_mut() {
                value.extend_from_slice(line);
            }
            continue;
        }
        // A line that is no field is kept under an empty name, so a
        // check over all fields sees its bytes too.
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => (&line[..colon], &line[colon + 1..]),
            None => (&b""[..], line),
        };
        let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
        open = !name.is_empty();
        out.push((name, value.to_vec()));
    }
    out
}

/// The value of the first field called `name` (lower case).
pub fn field<'a>(fields: &'a [Field], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

/// The `; key=value` parameters after a field's first token, quoted
/// strings unquoted (RFC 2045 §5.1). Malformed pieces are skipped.
pub fn params(value: &[u8]) -> Vec<Param> {
    let mut out = Vec::new();
    let mut i = skip_to_semicolon(value, 0);
    while i < value.len() {
        i += 1; // the ';'
        let key_start = i;
        while i < value.len() && value[i] != b'=' && value[i] != b';' {
            i += 1;
        }
        if value.get(i) != Some(&b'=') {
            continue;
        }
        let key = String::from_utf8_lossy(&value[key_start..i])
            .trim()
            .to_ascii_lowercase();
        i += 1;
        while value.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let mut v = Vec::new();
        if value.get(i) == Some(&b'"') {
            i += 1;
            while let Some(&b) = value.get(i) {
                i += 1;
                match b {
                    b'"' => break,
                    b'\\' if i < value.len() => {
                        v.push(value[i]);
                        i += 1;
                    }
                    _ => v.push(b),
                }
            }
            i = skip_to_semicolon(value, i);
        } else {
            let end = skip_to_semicolon(value, i);
            v.extend_from_slice(value[i..end].trim_ascii());
            i = end;
        }
        out.push((key, v));
    }
    out
}

/// The index of the next `;` outside quotes, or the end.
fn skip_to_semicolon(value: &[u8], mut i: usize) -> usize {
    let mut quoted = false;
    while let Some(&b) = value.get(i) {
        match b {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b';' if !quoted => return i,
            _ => {}
        }
        i += 1;
    }
    value.len()
}

/// The value of parameter `name`.
pub fn param<'a>(params: &'a [Param], name: &str) -> Option<&'a [u8]> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// A field's first token (`multipart/mixed`, `base64`), lower-cased.
pub fn token(value: &[u8]) -> String {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end])
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_fields_stay_apart_and_parameters_unquote() {
        let block = b"Content-Type: multipart/mixed;\r\n\tboundary=\"a;\\\"b\"; charset=x\r\nContent-Transfer-Encoding: Base64\r\n\r\nbody: no field\r\n";
        let f = fields(block);
        assert_eq!(f.len(), 2);
        let ct = field(&f, "content-type").expect("content type");
        assert_eq!(token(ct), "multipart/mixed");
        let p = params(ct);
        assert_eq!(param(&p, "boundary"), Some(&b"a;\"b"[..]));
        assert_eq!(param(&p, "charset"), Some(&b"x"[..]));
        let cte = field(&f, "content-transfer-encoding").expect("cte");
        assert_eq!(token(cte), "base64");
    }
}
