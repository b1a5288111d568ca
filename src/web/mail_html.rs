//! A mail's sanitised HTML on the agent's page, without remote images: an
//! image from another server tells its sender when (and that) the mail was
//! read, so each is replaced by a visible marker. An agent may load them
//! for one message in a sandboxed frame with a policy of its own; the
//! page's own policy is never relaxed and nothing is fetched through us.

/// The HTML with every remote image replaced by `marker`, and whether it
/// had any. The input is ammonia's output: attribute values are quoted and
/// escaped, so a quote ends a value.
pub fn block_remote_images(html: &str, marker: &str) -> (String, bool) {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut blocked = false;
    while let Some(start) = find_ci(rest, "<img") {
        out.push_str(&rest[..start]);
        let tag_end = rest[start..].find('>').map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..tag_end];
        if is_remote(tag) {
            blocked = true;
            out.push_str("<span class=\"remote-image\">");
            out.push_str(&escape(marker));
            out.push_str("</span>");
        } else {
            out.push_str(tag);
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    (out, blocked)
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

fn is_remote(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    let Some(at) = lower.find(" src=\"") else {
        return false;
    };
    let value = lower[at + 6..].trim_start();
    value.starts_with("http:") || value.starts_with("https:") || value.starts_with("//")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The policy of the frame that shows a mail with its remote images: a
/// sandbox (its own origin, no scripts, no forms), images from anywhere,
/// nothing else, framed by our pages only.
pub const FRAME_POLICY: &str = "sandbox; default-src 'none'; img-src http: https: data:; \
     style-src 'unsafe-inline'; frame-ancestors 'self'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_images_become_markers_and_ours_stay() {
        let html = r#"<p>Hi</p><img src="https://track.example/p.gif" alt=""><IMG SRC="//cdn.example/x.png"><img src="/attachments/1f" alt="logo">"#;
        let (out, blocked) = block_remote_images(html, "remote image <blocked>");
        assert!(blocked);
        assert_eq!(out.matches("remote-image").count(), 2);
        assert!(!out.contains("track.example") && !out.contains("cdn.example"));
        assert!(out.contains(r#"<img src="/attachments/1f" alt="logo">"#));
        assert!(out.contains("remote image &lt;blocked&gt;"));
        let (same, none) = block_remote_images("<p>plain</p>", "x");
        assert_eq!((same.as_str(), none), ("<p>plain</p>", false));
    }
}
