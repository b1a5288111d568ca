//! A mail's sanitised HTML on the agent's page, without remote images: an
//! image from another server tells its sender when (and that) the mail was
//! read, so each is replaced by a visible marker. An agent may load them
//! for one message in a sandboxed frame with a policy of its own; the
//! page's own policy is never relaxed and nothing is fetched through us.

/// The HTML with every remote image replaced by `marker`, and whether it
/// had any. The input is ammonia's output: attribute values are quoted and
/// escaped, so a quote ends a value.
pub fn block_remote_images(html: &str, marker: &str) -> (String, bool) {
    // Lowercased once: ASCII case folding keeps byte offsets, and searching
    // a fresh copy per tag would be quadratic in the number of images.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    let mut blocked = false;
    while let Some(found) = lower[at..].find("<img") {
        let start = at + found;
        out.push_str(&html[at..start]);
        let end = lower[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        if is_remote(&lower[start..end]) {
            blocked = true;
            out.push_str("<span class=\"remote-image\">");
            out.push_str(&escape(marker));
            out.push_str("</span>");
        } else {
            out.push_str(&html[start..end]);
        }
        at = end;
    }
    out.push_str(&html[at..]);
    (out, blocked)
}

/// Whether a lowercased `<img …>` tag loads from another server.
fn is_remote(tag: &str) -> bool {
    let Some(at) = tag.find(" src=\"") else {
        return false;
    };
    let value = tag[at + 6..].trim_start();
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

    #[test]
    fn many_images_take_linear_time() {
        let html = "<img src=\"https://t.example/p.gif\">Привет ".repeat(50_000);
        let started = std::time::Instant::now();
        let (out, blocked) = block_remote_images(&html, "x");
        assert!(blocked);
        assert_eq!(out.matches("remote-image").count(), 50_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
