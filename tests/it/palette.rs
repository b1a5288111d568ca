//! The colours of static/app.css meet WCAG AA in both themes: text 4.5:1,
//! the focus ring and field borders 3:1 (1.4.11). Read from the stylesheet
//! itself, so a changed colour is checked the day it changes.

use std::collections::HashMap;

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// `--name: #rrggbb` declarations of one block.
fn variables(block: &str) -> HashMap<String, String> {
    let mut text = String::new();
    let mut rest = block;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    text.push_str(rest);
    let mut out = HashMap::new();
    for decl in text.split(';') {
        // The first declaration follows the selector and its brace.
        let Some(at) = decl.find("--") else { continue };
        if let Some((name, value)) = decl[at..].split_once(':') {
            let value = value.trim();
            if value.starts_with('#') && value.len() == 7 {
                out.insert(name.trim().to_string(), value.to_string());
            }
        }
    }
    out
}

#[test]
fn both_themes_meet_aa() {
    let css = std::fs::read_to_string("static/app.css").expect("stylesheet");
    let light_start = css.find(":root {").expect(":root");
    let light = &css[light_start..light_start + css[light_start..].find('}').expect("end")];
    let dark_start = css
        .find("@media (prefers-color-scheme: dark)")
        .expect("dark theme");
    let dark_block = &css[dark_start..];
    let dark_root = dark_block.find(":root {").expect("dark :root");
    let dark = &dark_block[dark_root..dark_root + dark_block[dark_root..].find('}').expect("end")];
    let light = variables(light);
    let mut dark_vars = light.clone();
    dark_vars.extend(variables(dark));
    let pairs: &[(&str, &str, f64)] = &[
        ("--text", "--bg", 4.5),
        ("--text", "--surface", 4.5),
        ("--text", "--note-bg", 4.5),
        ("--muted", "--surface", 4.5),
        ("--muted", "--bg", 4.5),
        ("--accent", "--surface", 4.5),
        ("--accent-text", "--accent", 4.5),
        ("--danger", "--surface", 4.5),
        ("--ok-text", "--ok-bg", 4.5),
        ("--note-button-text", "--note-button", 4.5),
        ("--pill-open-text", "--pill-open", 4.5),
        ("--pill-pending-text", "--pill-pending", 4.5),
        ("--pill-resolved-text", "--pill-resolved", 4.5),
        ("--pill-closed-text", "--pill-closed", 4.5),
        ("--focus", "--bg", 3.0),
        ("--focus", "--surface", 3.0),
        ("--focus", "--note-bg", 3.0),
        ("--input-border", "--surface", 3.0),
        ("--input-border", "--note-bg", 3.0),
    ];
    let mut failures = Vec::new();
    for (theme, vars) in [("light", &light), ("dark", &dark_vars)] {
        for (fg, bg, want) in pairs {
            let (Some(a), Some(b)) = (vars.get(*fg), vars.get(*bg)) else {
                failures.push(format!("{theme}: {fg} or {bg} is not a #rrggbb colour"));
                continue;
            };
            let got = contrast(a, b);
            if got < *want {
                failures.push(format!(
                    "{theme}: {fg} {a} on {bg} {b} is {got:.2}:1, wants {want}:1"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
