//! Server-rendered SVG charts, no script. Colours come from the stylesheet
//! (`.chart-*` classes over the theme's custom properties), so a chart
//! follows the light and dark themes; series differ by fill as well as by
//! colour (solid, outlined), never by colour alone. Each chart is an
//! `img` with a label that says what it shows; the page puts the same
//! numbers in a table beside it for screen readers and for reading.
//! Every text is escaped here: the result may be marked safe.

use std::fmt::Write;

/// One series of bars.
pub struct Series<'a> {
    /// Its name, in the legend.
    pub name: &'a str,
    pub values: &'a [f64],
    /// `solid` or `outline`: the look (`.chart-solid`, `.chart-outline`).
    pub look: &'static str,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 28.0;

/// Grouped vertical bars: one group per label, one bar per series.
pub fn bars(label: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let top = nice(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(label),
        escape(label)
    );
    // Grid lines and their values: 0, half, top.
    for i in 0..=2 {
        let v = top * f64::from(i) / 2.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 2.0;
        let _ = write!(
            svg,
            r#"<line class="chart-grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="chart-axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            short(v)
        );
    }
    let groups = labels.len().max(1) as f64;
    let group_w = plot_w / groups;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    // At most about twelve labels under the axis.
    let every = labels.len().div_ceil(12).max(1);
    for (i, l) in labels.iter().enumerate() {
        let x0 = LEFT + group_w * i as f64 + group_w * 0.1;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            let h = if top > 0.0 { plot_h * v / top } else { 0.0 };
            let _ = write!(
                svg,
                r#"<rect class="chart-{}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"><title>{}: {}</title></rect>"#,
                s.look,
                x0 + bar_w * k as f64,
                TOP + plot_h - h,
                (bar_w - 1.0).max(0.5),
                h,
                escape(l),
                short(v)
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="chart-axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x0 + group_w * 0.4,
                HEIGHT - 8.0,
                escape(l)
            );
        }
    }
    // The legend, top left: a swatch of each look and its name.
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            svg,
            r#"<rect class="chart-{}" x="{x:.1}" y="6" width="12" height="12"/><text class="chart-legend" x="{:.1}" y="16">{}</text>"#,
            s.look,
            x + 16.0,
            escape(s.name)
        );
        x += 24.0 + 8.0 * s.name.chars().count() as f64;
    }
    svg.push_str("</svg>");
    svg
}

/// The axis top: `max` rounded up to 1, 2 or 5 times a power of ten.
fn nice(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(max)
}

/// A value for an axis or a tooltip: whole numbers plain, others with one decimal.
fn short(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Escapes text for SVG (XML) content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_escapes_its_texts_and_scales_to_a_nice_top() {
        let svg = bars(
            "Tickets <per> day",
            &["a&b".into(), "c".into()],
            &[Series {
                name: "\"handled\"",
                values: &[3.0, 7.0],
                look: "solid",
            }],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Tickets &lt;per&gt; day"));
        assert!(svg.contains("a&amp;b: 3"));
        assert!(svg.contains("&quot;handled&quot;"));
        assert!(!svg.contains("<per>"));
        assert_eq!(nice(7.0), 10.0);
        assert_eq!(nice(12.0), 20.0);
        assert_eq!(nice(0.0), 1.0);
    }
}
