//! Turning stored text into safe HTML for pages.

use linkify::{LinkFinder, LinkKind};

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Escapes message text and makes its http(s) links clickable. The result
/// is safe to mark `|safe` in a template: every byte of the input is
/// escaped, and only links we build are markup.
pub fn linkify(text: &str) -> String {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    let mut out = String::with_capacity(text.len() + 64);
    for span in finder.spans(text) {
        let s = span.as_str();
        let is_web =
            span.kind().is_some() && (s.starts_with("http://") || s.starts_with("https://"));
        if is_web {
            out.push_str("<a href=\"");
            escape(s, &mut out);
            out.push_str("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
            escape(s, &mut out);
            out.push_str("</a>");
        } else {
            escape(s, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn text_is_escaped_and_web_links_clickable() {
        assert_eq!(
            linkify("<b>hi</b> & bye"),
            "&lt;b&gt;hi&lt;/b&gt; &amp; bye"
        );
        assert_eq!(
            linkify("see https://example.com/a?b=1&c=2."),
            "see <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://example.com/a?b=1&amp;c=2</a>."
        );
    }

    #[test]
    fn dangerous_schemes_stay_text() {
        assert_eq!(linkify("javascript:alert(1)"), "javascript:alert(1)");
        assert!(!linkify("\"><script>x</script>https://a.example").contains("<script>"));
    }
}
