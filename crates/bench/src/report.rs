//! The figures a run produces, the table it prints and the JSON it writes.

use std::fmt::Write as _;

use serde::Serialize;

/// What a figure has to stay under to meet its target.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// `value / baseline` at most this.
    Ratio(f64),
    /// The value itself at most this, in the figure's unit.
    Value(f64),
    /// `value - baseline` at most this, in the figure's unit.
    Plus(f64),
    /// Reported for context only.
    None,
}

impl Target {
    fn describe(self, unit: &str) -> String {
        match self {
            Target::Ratio(r) => format!("≤ {r}×"),
            Target::Value(v) => format!("≤ {} {unit}", fmt_num(v)),
            Target::Plus(v) => format!("≤ baseline + {} {unit}", fmt_num(v)),
            Target::None => "—".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Figure {
    /// As in the table: `live_sync`, `catch_up_10k`, …
    pub name: String,
    /// For a figure with several values: `p50`, `p99`, `10`, `1000`, …
    pub variant: Option<String>,
    pub value: f64,
    pub unit: &'static str,
    pub baseline: Option<f64>,
    pub target: Target,
}

impl Figure {
    pub fn new(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self {
            name: name.into(),
            variant: None,
            value,
            unit,
            baseline: None,
            target: Target::None,
        }
    }

    pub fn variant(mut self, v: impl Into<String>) -> Self {
        self.variant = Some(v.into());
        self
    }

    pub fn baseline(mut self, b: f64) -> Self {
        self.baseline = Some(b);
        self
    }

    pub fn target(mut self, t: Target) -> Self {
        self.target = t;
        self
    }

    pub fn ratio(&self) -> Option<f64> {
        match self.baseline {
            Some(b) if b > 0.0 => Some(self.value / b),
            _ => None,
        }
    }

    pub fn met(&self) -> Option<bool> {
        match self.target {
            Target::Ratio(r) => self.ratio().map(|x| x <= r),
            Target::Value(v) => Some(self.value <= v),
            Target::Plus(v) => self.baseline.map(|b| self.value - b <= v),
            Target::None => None,
        }
    }

    fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// A number with a sensible amount of precision for a table.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 100_000.0 {
        let s = format!("{v:.0}");
        group_thousands(&s)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn group_thousands(s: &str) -> String {
    let (sign, digits) = s.strip_prefix('-').map_or(("", s), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn with_unit(v: f64, unit: &str) -> String {
    // A shared list is handed out in a microsecond or two: "0.000 ms" would hide it.
    if unit == "ms" && v != 0.0 && v.abs() < 0.01 {
        return format!("{} µs", fmt_num(v * 1000.0));
    }
    format!("{} {unit}", fmt_num(v))
}

/// The table the issue asks for, as Markdown so it can go straight into the README.
pub fn table(figures: &[Figure]) -> String {
    let rows: Vec<[String; 6]> = figures
        .iter()
        .map(|f| {
            [
                f.label(),
                with_unit(f.value, f.unit),
                f.baseline
                    .map(|b| with_unit(b, f.unit))
                    .unwrap_or_else(|| "—".into()),
                f.ratio()
                    .map(|r| format!("{r:.2}×"))
                    .unwrap_or_else(|| "—".into()),
                f.target.describe(f.unit),
                match f.met() {
                    Some(true) => "yes".into(),
                    Some(false) => "**no**".into(),
                    None => "—".into(),
                },
            ]
        })
        .collect();
    let header = [
        "figure",
        "value",
        "baseline (same run)",
        "ratio",
        "target",
        "met",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (c, w) in cells.iter().zip(&widths) {
            let pad = w - c.chars().count();
            let _ = write!(out, " {c}{} |", " ".repeat(pad));
        }
        out.push('\n');
    };
    line(
        &mut out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    line(
        &mut out,
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    );
    for r in &rows {
        line(&mut out, r);
    }
    out
}

#[derive(Serialize)]
struct JsonFigure<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    value: f64,
    unit: &'a str,
    baseline: Option<f64>,
    ratio: Option<f64>,
    target: Option<String>,
    met: Option<bool>,
}

#[derive(Serialize)]
pub struct GrowthRow {
    /// Shared entries in the journal when the sample was taken.
    pub history: usize,
    pub write_p50_ms: f64,
    pub live_sync_p50_ms: f64,
    pub one_entry_wire_bytes: f64,
    pub one_entry_frame_bytes: f64,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    machine: &'a str,
    command: &'a str,
    sizes: &'a serde_json::Value,
    figures: Vec<JsonFigure<'a>>,
    growth: &'a [GrowthRow],
    notes: &'a [String],
}

pub fn json(
    machine: &str,
    command: &str,
    sizes: &serde_json::Value,
    figures: &[Figure],
    growth: &[GrowthRow],
    notes: &[String],
) -> serde_json::Result<String> {
    let report = JsonReport {
        machine,
        command,
        sizes,
        figures: figures
            .iter()
            .map(|f| JsonFigure {
                name: &f.name,
                variant: f.variant.as_deref(),
                value: f.value,
                unit: f.unit,
                baseline: f.baseline,
                ratio: f.ratio(),
                target: match f.target {
                    Target::None => None,
                    t => Some(t.describe(f.unit)),
                },
                met: f.met(),
            })
            .collect(),
        growth,
        notes,
    };
    serde_json::to_string_pretty(&report)
}

pub fn growth_table(rows: &[GrowthRow]) -> String {
    let mut out = String::from(
        "| shared entries | write p50 | live_sync p50 | one entry, wire | one entry, sync frames |\n\
         |---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} ms | {} ms | {} B | {} B |",
            group_thousands(&r.history.to_string()),
            fmt_num(r.write_p50_ms),
            fmt_num(r.live_sync_p50_ms),
            fmt_num(r.one_entry_wire_bytes),
            fmt_num(r.one_entry_frame_bytes),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(1_234_567.0), "1,234,567");
        assert_eq!(fmt_num(123.4), "123");
        assert_eq!(fmt_num(12.34), "12.3");
        assert_eq!(fmt_num(1.234), "1.23");
        assert_eq!(fmt_num(0.01234), "0.012");
    }

    #[test]
    fn targets_decide_met() {
        let f = Figure::new("x", 3.0, "ms")
            .baseline(2.0)
            .target(Target::Ratio(1.5));
        assert_eq!(f.met(), Some(true));
        let f = Figure::new("x", 11.0, "ms").target(Target::Value(10.0));
        assert_eq!(f.met(), Some(false));
        assert_eq!(Figure::new("x", 1.0, "ms").met(), None);
        let f = Figure::new("x", 0.3, "ms")
            .baseline(0.2)
            .target(Target::Plus(0.15));
        assert_eq!(f.met(), Some(true));
        let f = Figure::new("x", 0.4, "ms")
            .baseline(0.2)
            .target(Target::Plus(0.15));
        assert_eq!(f.met(), Some(false));
    }
}
