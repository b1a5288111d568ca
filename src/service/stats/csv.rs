//! A report as CSV (RFC 4180): one row per line of the tables (the total,
//! each department, each agent), then one per bucket of the trend. Column
//! names are English and stable, for scripts; durations are in seconds.

use std::fmt::Write;

use super::{Line, Report, Timing};

const HEADER: &str = "kind,name,handled,replies,\
first_response_count,first_response_median_wall_s,first_response_average_wall_s,first_response_p90_wall_s,\
first_response_median_business_s,first_response_average_business_s,first_response_p90_business_s,\
resolution_count,resolution_median_wall_s,resolution_average_wall_s,resolution_p90_wall_s,\
resolution_median_business_s,resolution_average_business_s,resolution_p90_business_s,\
sla_met,sla_missed,sla_compliance_percent,rating_average,rating_count,stars_1,stars_2,stars_3,stars_4,stars_5";

/// The report as CSV text.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str("\r\n");
    line(&mut out, "total", &r.total);
    for l in &r.departments {
        line(&mut out, "department", l);
    }
    for l in &r.agents {
        line(&mut out, "agent", l);
    }
    let kind = if r.filter.weekly { "week" } else { "day" };
    for t in &r.trend {
        let mut cells = vec![
            kind.to_string(),
            t.bucket.to_string(),
            t.handled.to_string(),
            t.replies.to_string(),
            String::new(),
            num(t.first_response),
        ];
        cells.resize(28, String::new());
        row(&mut out, &cells);
    }
    out
}

fn line(out: &mut String, kind: &str, l: &Line) {
    let mut cells = vec![
        kind.to_string(),
        field(&l.name),
        l.handled.to_string(),
        l.replies.to_string(),
    ];
    timing(&mut cells, &l.first_response);
    timing(&mut cells, &l.resolution);
    cells.push(l.met.to_string());
    cells.push(l.missed.to_string());
    cells.push(num(l.compliance()));
    cells.push(num(l.rating));
    cells.push(l.rated().to_string());
    cells.extend(l.stars.iter().map(i64::to_string));
    row(out, &cells);
}

fn timing(cells: &mut Vec<String>, t: &Timing) {
    cells.push(t.n.to_string());
    for s in [t.wall, t.business] {
        cells.extend([num(s.median), num(s.average), num(s.p90)]);
    }
}

fn row(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// A number with at most two decimals; empty when there is none.
fn num(v: Option<f64>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    let mut s = String::new();
    let _ = write!(s, "{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" { "0".into() } else { s }
}

/// A text cell: quoted when needed; a leading formula character is
/// defused (spreadsheets run `=…` cells).
fn field(s: &str) -> String {
    let s = match s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{s}"),
        false => s.to_string(),
    };
    match s.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", s.replace('"', "\"\"")),
        false => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(field("Ann, \"the\" boss"), "\"Ann, \"\"the\"\" boss\"");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(num(Some(1.5)), "1.5");
        assert_eq!(num(Some(120.0)), "120");
        assert_eq!(num(None), "");
    }

    #[test]
    fn every_row_has_the_header_s_width() {
        let mut out = String::new();
        line(&mut out, "total", &Line::default());
        assert_eq!(HEADER.split(',').count(), 28);
        assert_eq!(out.trim_end().split(',').count(), 28);
    }
}
