//! Inline SVG charts for the `/metrics/` page.
//!
//! Two renderers, [`stacked_bars`] and [`lines`], turn a [`Chart`] into a
//! self-contained `<svg>` string (no dependencies, no scripts, no inline
//! colours). The SVG has a `viewBox` of `0 0 720 280` and no `width`/`height`
//! attributes, so `svg.chart { width: 100%; height: auto; }` scales it.
//! Output is deterministic: the same input always gives the same bytes, and
//! every number is printed with at most one decimal place.
//!
//! All user-provided text (title, description, categories, series names,
//! y label, unit) is XML-escaped; series CSS classes are reduced to
//! `[A-Za-z0-9_-]` words.
//!
//! Data rules: values that are NaN or infinite are gaps (no bar segment, no
//! point, the line is broken); finite values are clamped to ±1e12. Missing
//! trailing values (a `values` vector shorter than `categories`) are gaps,
//! extra values are ignored. The y axis always includes 0. Stacked bars stack
//! positive values upwards from 0 and negative values downwards from 0.
//! If there are no categories or no finite value at all, a "No data" chart
//! (still with `<title>`/`<desc>`) is produced.
//!
//! # CSS classes
//!
//! | selector | element | meaning |
//! |---|---|---|
//! | `svg.chart` | `<svg>` | the root |
//! | `.chart-body` | `<g>` | everything drawn; also has `bars` or `lines`; carries `font-size="11"` |
//! | `.grid` | `<line>` | horizontal gridline at each y tick |
//! | `.axis` | `<line>` | the zero baseline |
//! | `.tick` | `<text>` | y tick label |
//! | `.y-label` | `<text>` | rotated y axis label |
//! | `.x-label` | `<text>` | category label (also `.rotated` when drawn at -45°) |
//! | `.bar` + series class | `<rect>` | one stacked bar segment, e.g. `class="bar sev1"` |
//! | `.line` + series class | `<path>` | one series line, e.g. `class="line sev1"` (has `fill="none"`) |
//! | `.point` + series class | `<circle>` | one data point, e.g. `class="point sev1"` |
//! | `.legend` | `<g>` | legend (only when there is more than one series) |
//! | `.legend-item` | `<g>` | one legend entry |
//! | `.swatch` + series class | `<rect>` | legend colour swatch, e.g. `class="swatch sev1"` |
//! | `.legend-label` | `<text>` | legend series name |
//! | `.legend-more` | `<text>` | "+N more" when the legend does not fit in 3 rows |
//! | `.no-data` | `<text>` | "No data" placeholder |
//! | `.series-N` | (any of the above) | fallback series class (N = 1-based index) when `Series::class` is empty/invalid |
//!
//! All `<text>` elements have `fill="currentColor"`. Hover tooltips are
//! `<title>` children of each bar segment / point ("category · series: value
//! unit"); truncated labels also get a `<title>` with the full text.
//!
//! Suggested stylesheet:
//!
//! ```css
//! svg.chart { width: 100%; height: auto; font-family: inherit; }
//! .chart .grid { stroke: #ddd; stroke-width: 1; }
//! .chart .axis { stroke: #888; stroke-width: 1; }
//! .chart .line { fill: none; stroke-width: 2; }
//! .chart .bar.sev1, .chart .point.sev1, .chart .swatch.sev1 { fill: #c0392b; }
//! .chart .line.sev1 { stroke: #c0392b; }
//! .chart .no-data { font-size: 14px; opacity: .7; }
//! ```

use std::fmt::Write as _;

/// One data series (one stacked segment per category, or one line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// CSS class for colour, e.g. "sev1"
    pub class: String,
}

/// A chart: categories along x, one or more series of values along y.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    pub title: String,
    /// accessible description (<desc>)
    pub description: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub y_label: String,
    /// format of y values in tooltips/axis: e.g. "", " min", "%"
    pub unit: String,
}

/// Stacked vertical bars: one bar per category, one stacked segment per series.
pub fn stacked_bars(chart: &Chart) -> String {
    render(chart, Kind::Bars)
}

/// Lines with point markers: one line per series over the categories; None-like gaps are f64::NAN (break the line, no marker).
pub fn lines(chart: &Chart) -> String {
    render(chart, Kind::Lines)
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
const FONT_SIZE: u32 = 11;
/// Rough average advance of one character at `FONT_SIZE`, in px.
const CHAR_W: f64 = 6.5;
const MARGIN_RIGHT: f64 = 16.0;
const MARGIN_TOP: f64 = 12.0;
/// Finite values are clamped to ±MAX_ABS.
const MAX_ABS: f64 = 1e12;
/// Longest horizontal category label (chars, including the ellipsis).
const MAX_X_LABEL_CHARS: usize = 16;
/// Longest rotated category label (chars, including the ellipsis).
const MAX_ROT_LABEL_CHARS: usize = 14;
/// Labels up to this length are thinned horizontally instead of rotated.
const SHORT_LABEL_CHARS: usize = 10;
/// Minimum horizontal distance between two rotated (-45°) labels, in px.
const ROT_SPACING: f64 = 16.0;
const LEGEND_ROWS: usize = 3;
const LEGEND_ROW_H: f64 = 16.0;
const MAX_LEGEND_CHARS: usize = 24;
/// Units longer than this are left out of the y tick labels (kept in tooltips).
const MAX_TICK_UNIT_CHARS: usize = 6;
const SIN45: f64 = std::f64::consts::FRAC_1_SQRT_2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bars,
    Lines,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Bars => "bars",
            Kind::Lines => "lines",
        }
    }
}

/// A series after cleaning: escaped-later name, safe class, exactly one value
/// per category (NaN = gap).
struct Prepared {
    name: String,
    class: String,
    values: Vec<f64>,
}

/// How category labels are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
struct XLabels {
    /// Label every `step`-th category (always >= 1).
    step: usize,
    rotate: bool,
    max_chars: usize,
    /// Space needed below the plot area, in px.
    margin: f64,
}

struct LegendItem {
    x: f64,
    row: usize,
    width: f64,
    name: String,
    full_name: String,
    class: String,
}

struct Legend {
    items: Vec<LegendItem>,
    hidden: usize,
    more_x: f64,
    rows: usize,
}

fn render(chart: &Chart, kind: Kind) -> String {
    let id = chart_id(&chart.title, kind);
    let n = chart.categories.len();
    let series: Vec<Prepared> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| Prepared {
            name: s.name.clone(),
            class: css_class(&s.class, i),
            values: (0..n)
                .map(|j| s.values.get(j).copied().map_or(f64::NAN, clean))
                .collect(),
        })
        .collect();
    let has_data = series
        .iter()
        .any(|s| s.values.iter().any(|v| v.is_finite()));

    let mut out = String::with_capacity(2048 + n * (series.len() + 1) * 160);
    let _ = write!(
        out,
        "<svg role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {} {}\" \
         class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\">",
        fmt_num(WIDTH),
        fmt_num(HEIGHT)
    );
    let desc = if chart.description.trim().is_empty() {
        default_desc(kind, n, series.len(), has_data)
    } else {
        chart.description.clone()
    };
    let _ = write!(
        out,
        "<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(&chart.title),
        esc(&desc)
    );
    let _ = write!(
        out,
        "<g class=\"chart-body {}\" font-size=\"{FONT_SIZE}\">",
        kind.name()
    );
    if has_data {
        draw(&mut out, chart, kind, &series);
    } else {
        let _ = write!(
            out,
            "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" \
             dy=\"0.3em\" fill=\"currentColor\">No data</text>",
            fmt_num(WIDTH / 2.0),
            fmt_num(HEIGHT / 2.0)
        );
    }
    out.push_str("</g></svg>");
    out
}

fn default_desc(kind: Kind, categories: usize, series: usize, has_data: bool) -> String {
    if !has_data {
        return "No data.".to_string();
    }
    let what = match kind {
        Kind::Bars => "Stacked bar chart",
        Kind::Lines => "Line chart",
    };
    format!(
        "{what} of {series} series over {categories} {}.",
        if categories == 1 {
            "category"
        } else {
            "categories"
        }
    )
}

fn draw(out: &mut String, chart: &Chart, kind: Kind, series: &[Prepared]) {
    let cats = &chart.categories;
    let n = cats.len().max(1);
    let nf = n as f64;

    // --- y scale -----------------------------------------------------------
    let (lo, hi) = match kind {
        Kind::Bars => stacked_extent(series),
        Kind::Lines => value_extent(series),
    };
    // Whole numbers (counts) get whole-number ticks: at least 0..3.
    let whole = series
        .iter()
        .flat_map(|s| s.values.iter())
        .all(|v| !v.is_finite() || v.fract() == 0.0);
    let hi = if whole && hi > 0.0 { hi.max(3.0) } else { hi };
    let ticks = nice_ticks(lo, hi);
    let t_lo = ticks.first().copied().unwrap_or(0.0);
    let mut t_hi = ticks.last().copied().unwrap_or(1.0);
    if t_hi.partial_cmp(&t_lo) != Some(std::cmp::Ordering::Greater) {
        t_hi = t_lo + 1.0;
    }
    let tick_unit = if chart.unit.chars().count() <= MAX_TICK_UNIT_CHARS {
        chart.unit.as_str()
    } else {
        ""
    };
    let tick_labels: Vec<String> = ticks
        .iter()
        .map(|&t| format!("{}{}", fmt_compact(t), tick_unit))
        .collect();
    let tick_chars = tick_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);

    // --- horizontal layout -------------------------------------------------
    let y_label = chart.y_label.trim();
    let x1 = WIDTH - MARGIN_RIGHT;
    let y_label_space = if y_label.is_empty() { 6.0 } else { 24.0 };
    let mut x0 = (y_label_space + tick_chars as f64 * CHAR_W + 8.0).min(WIDTH / 3.0);
    let mut xl = x_label_layout(cats, (x1 - x0) / nf);
    if xl.rotate {
        // Make room for the first rotated label, which extends down-left.
        let first = cats
            .first()
            .map_or(0, |c| c.trim().chars().count().min(xl.max_chars));
        let need = first as f64 * CHAR_W * SIN45 + 4.0 - (x1 - x0) / nf / 2.0;
        if need > x0 {
            x0 = need.min(WIDTH / 3.0);
            xl = x_label_layout(cats, (x1 - x0) / nf);
        }
    }
    let band = (x1 - x0) / nf;

    // --- vertical layout ---------------------------------------------------
    let legend = if series.len() > 1 {
        legend_layout(series, x0)
    } else {
        Legend {
            items: Vec::new(),
            hidden: 0,
            more_x: x0,
            rows: 0,
        }
    };
    let top = MARGIN_TOP
        + if legend.rows > 0 {
            legend.rows as f64 * LEGEND_ROW_H + 4.0
        } else {
            0.0
        };
    let bottom = (HEIGHT - xl.margin).max(top + 40.0);
    let plot_h = bottom - top;
    let y_of = |v: f64| round1(bottom - (v - t_lo) / (t_hi - t_lo) * plot_h);
    let cx_of = |i: usize| x0 + band * (i as f64 + 0.5);

    // --- y axis: gridlines and tick labels ---------------------------------
    out.push_str("<g class=\"y-axis\">");
    for (t, label) in ticks.iter().zip(&tick_labels) {
        let y = y_of(*t);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{y}\" dy=\"0.3em\" text-anchor=\"end\" \
             fill=\"currentColor\">{}</text>",
            fmt_num(x0),
            fmt_num(x1),
            fmt_num(x0 - 6.0),
            esc(label),
            y = fmt_num(y)
        );
    }
    out.push_str("</g>");

    // --- data --------------------------------------------------------------
    match kind {
        Kind::Bars => draw_bars(out, chart, series, band, &y_of, &cx_of),
        Kind::Lines => draw_lines(out, chart, series, band, &y_of, &cx_of),
    }

    // Zero baseline on top of the data.
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
        fmt_num(x0),
        fmt_num(x1),
        y = fmt_num(y_of(0.0))
    );

    // --- x axis labels -----------------------------------------------------
    out.push_str("<g class=\"x-axis\">");
    for (i, cat) in cats.iter().enumerate().step_by(xl.step) {
        let full = cat.trim();
        if full.is_empty() {
            continue;
        }
        let label = truncate(full, xl.max_chars);
        let w = label.chars().count() as f64 * CHAR_W;
        let cx = cx_of(i);
        let (fits, y) = if xl.rotate {
            (cx - w * SIN45 >= 0.0, bottom + 10.0)
        } else {
            (cx - w / 2.0 >= 0.0 && cx + w / 2.0 <= WIDTH, bottom + 16.0)
        };
        if !fits {
            continue;
        }
        let (cx, y) = (fmt_num(cx), fmt_num(y));
        if xl.rotate {
            let _ = write!(
                out,
                "<text class=\"x-label rotated\" x=\"{cx}\" y=\"{y}\" text-anchor=\"end\" \
                 transform=\"rotate(-45 {cx} {y})\" fill=\"currentColor\">"
            );
        } else {
            let _ = write!(
                out,
                "<text class=\"x-label\" x=\"{cx}\" y=\"{y}\" text-anchor=\"middle\" \
                 fill=\"currentColor\">"
            );
        }
        if label != full {
            push_title(out, full);
        }
        out.push_str(&esc(&label));
        out.push_str("</text>");
    }
    out.push_str("</g>");

    // --- y axis label ------------------------------------------------------
    if !y_label.is_empty() {
        let max_chars = ((plot_h / CHAR_W) as usize).max(4);
        let label = truncate(y_label, max_chars);
        let _ = write!(
            out,
            "<text class=\"y-label\" transform=\"rotate(-90)\" x=\"{}\" y=\"14\" \
             text-anchor=\"middle\" fill=\"currentColor\">",
            fmt_num(-(top + plot_h / 2.0))
        );
        if label != y_label {
            push_title(out, y_label);
        }
        out.push_str(&esc(&label));
        out.push_str("</text>");
    }

    // --- legend ------------------------------------------------------------
    if legend.rows > 0 {
        draw_legend(out, &legend);
    }
}

fn draw_bars(
    out: &mut String,
    chart: &Chart,
    series: &[Prepared],
    band: f64,
    y_of: &dyn Fn(f64) -> f64,
    cx_of: &dyn Fn(usize) -> f64,
) {
    let bar_w = if band < 4.0 {
        band
    } else {
        (band * 0.7).min(64.0)
    };
    out.push_str("<g class=\"bars\">");
    for (i, cat) in chart.categories.iter().enumerate() {
        let x = fmt_num(cx_of(i) - bar_w / 2.0);
        let w = fmt_num(bar_w);
        let (mut pos, mut neg) = (0.0_f64, 0.0_f64);
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(f64::NAN);
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let (from, to) = if v > 0.0 {
                let from = pos;
                pos += v;
                (from, pos)
            } else {
                let to = neg;
                neg += v;
                (neg, to)
            };
            let y_top = y_of(to);
            let y_bottom = y_of(from);
            let h = (y_bottom - y_top).max(0.0);
            let _ = write!(
                out,
                "<rect class=\"bar {}\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\">",
                esc(&s.class),
                fmt_num(y_top),
                fmt_num(h)
            );
            push_title(out, &tooltip(cat, &s.name, v, &chart.unit));
            out.push_str("</rect>");
        }
    }
    out.push_str("</g>");
}

fn draw_lines(
    out: &mut String,
    chart: &Chart,
    series: &[Prepared],
    band: f64,
    y_of: &dyn Fn(f64) -> f64,
    cx_of: &dyn Fn(usize) -> f64,
) {
    out.push_str("<g class=\"lines\">");
    for s in series {
        let mut d = String::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (i, v) in s.values.iter().enumerate() {
            if v.is_finite() {
                run.push((cx_of(i), y_of(*v)));
            } else {
                flush_run(&mut d, &mut run);
            }
        }
        flush_run(&mut d, &mut run);
        if !d.is_empty() {
            let _ = write!(
                out,
                "<path class=\"line {}\" fill=\"none\" d=\"{d}\"/>",
                esc(&s.class)
            );
        }
    }
    out.push_str("</g>");

    let r = fmt_num((band * 0.35).clamp(1.5, 3.5));
    out.push_str("<g class=\"points\">");
    for s in series {
        for ((i, v), cat) in s.values.iter().enumerate().zip(&chart.categories) {
            if !v.is_finite() {
                continue;
            }
            let _ = write!(
                out,
                "<circle class=\"point {}\" cx=\"{}\" cy=\"{}\" r=\"{r}\">",
                esc(&s.class),
                fmt_num(cx_of(i)),
                fmt_num(y_of(*v))
            );
            push_title(out, &tooltip(cat, &s.name, *v, &chart.unit));
            out.push_str("</circle>");
        }
    }
    out.push_str("</g>");
}

/// Appends one sub-path for a run of consecutive finite points (a run of a
/// single point is only shown by its marker).
fn flush_run(d: &mut String, run: &mut Vec<(f64, f64)>) {
    if run.len() >= 2 {
        for (k, (x, y)) in run.iter().enumerate() {
            if !d.is_empty() {
                d.push(' ');
            }
            let cmd = if k == 0 { 'M' } else { 'L' };
            let _ = write!(d, "{cmd}{} {}", fmt_num(*x), fmt_num(*y));
        }
    }
    run.clear();
}

fn draw_legend(out: &mut String, legend: &Legend) {
    out.push_str("<g class=\"legend\">");
    for item in &legend.items {
        let y = MARGIN_TOP + item.row as f64 * LEGEND_ROW_H;
        let _ = write!(
            out,
            "<g class=\"legend-item\"><rect class=\"swatch {}\" x=\"{}\" y=\"{}\" \
             width=\"10\" height=\"10\"/><text class=\"legend-label\" x=\"{}\" y=\"{}\" \
             fill=\"currentColor\">",
            esc(&item.class),
            fmt_num(item.x),
            fmt_num(y - 9.0),
            fmt_num(item.x + 14.0),
            fmt_num(y)
        );
        if item.name != item.full_name {
            push_title(out, &item.full_name);
        }
        let _ = write!(out, "{}</text></g>", esc(&item.name));
    }
    if legend.hidden > 0 {
        let row = legend.items.last().map_or(0, |it| it.row);
        let _ = write!(
            out,
            "<text class=\"legend-more\" x=\"{}\" y=\"{}\" fill=\"currentColor\">+{} more</text>",
            fmt_num(legend.more_x),
            fmt_num(MARGIN_TOP + row as f64 * LEGEND_ROW_H),
            legend.hidden
        );
    }
    out.push_str("</g>");
}

fn legend_layout(series: &[Prepared], x_start: f64) -> Legend {
    let limit = WIDTH - MARGIN_RIGHT;
    let mut items: Vec<LegendItem> = Vec::new();
    let (mut x, mut row) = (x_start, 0_usize);
    let mut hidden = 0;
    for (i, s) in series.iter().enumerate() {
        let full_name = s.name.trim().to_string();
        let name = truncate(&full_name, MAX_LEGEND_CHARS);
        let width = 14.0 + name.chars().count() as f64 * CHAR_W + 14.0;
        if x + width > limit && x > x_start {
            row += 1;
            x = x_start;
        }
        if row >= LEGEND_ROWS {
            hidden = series.len() - i;
            break;
        }
        items.push(LegendItem {
            x,
            row,
            width,
            name,
            full_name,
            class: s.class.clone(),
        });
        x += width;
    }
    let mut more_x = x_start;
    if hidden > 0 {
        // Drop entries from the end of the last row until "+N more" fits.
        loop {
            let more_w = format!("+{hidden} more").chars().count() as f64 * CHAR_W;
            match items.last() {
                Some(last) if last.x + last.width + more_w > limit && items.len() > 1 => {
                    items.pop();
                    hidden += 1;
                }
                Some(last) => {
                    more_x = last.x + last.width;
                    break;
                }
                None => break,
            }
        }
    }
    let rows = items
        .last()
        .map_or(usize::from(hidden > 0), |it| it.row + 1);
    Legend {
        items,
        hidden,
        more_x,
        rows,
    }
}

/// Chooses how to draw the category labels for `categories`, given the width
/// of one category band in px: every label horizontally if they fit;
/// otherwise short labels are thinned (every n-th) and long labels are
/// rotated by -45° (and thinned when even that does not fit).
fn x_label_layout(categories: &[String], band: f64) -> XLabels {
    let band = if band.is_finite() && band > 0.0 {
        band
    } else {
        1.0
    };
    let longest = categories
        .iter()
        .map(|c| c.trim().chars().count())
        .max()
        .unwrap_or(0);
    let h_chars = longest.min(MAX_X_LABEL_CHARS);
    let need = h_chars as f64 * CHAR_W + 8.0;
    if need <= band || longest <= SHORT_LABEL_CHARS {
        return XLabels {
            step: steps_for(need, band),
            rotate: false,
            max_chars: MAX_X_LABEL_CHARS,
            margin: 26.0,
        };
    }
    let r_chars = longest.min(MAX_ROT_LABEL_CHARS);
    XLabels {
        step: steps_for(ROT_SPACING, band),
        rotate: true,
        max_chars: MAX_ROT_LABEL_CHARS,
        margin: 12.0 + r_chars as f64 * CHAR_W * SIN45 + 8.0,
    }
}

/// Smallest n >= 1 such that n bands are at least `need` px wide.
fn steps_for(need: f64, band: f64) -> usize {
    let raw = (need / band - 1e-9).ceil();
    if raw.is_finite() && raw >= 1.0 {
        // `as` saturates, so absurd inputs cannot overflow.
        raw as usize
    } else {
        1
    }
}

/// "Nice" y ticks covering `[min(lo, 0), max(hi, 0)]`: 4 to 6 ticks spaced by
/// 1, 2 or 5 × 10^n (n >= -1, so labels never need more than one decimal).
fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let lo = if lo.is_finite() { lo.min(0.0) } else { 0.0 };
    let mut hi = if hi.is_finite() { hi.max(0.0) } else { 0.0 };
    if hi - lo <= 0.0 {
        hi = 1.0;
    }
    let span = hi - lo;
    let mut exp = (span / 5.0).log10().floor();
    if !exp.is_finite() || exp < -1.0 {
        exp = -1.0;
    }
    let mut exp = exp.min(300.0) as i32;
    for _ in 0..400 {
        let base = 10_f64.powi(exp);
        for m in [1.0, 2.0, 5.0] {
            let step = m * base;
            if step < 0.1 - 1e-12 {
                continue;
            }
            let mut a = (lo / step + 1e-9).floor();
            let mut b = (hi / step - 1e-9).ceil();
            if b - a <= 5.0 {
                if b - a < 3.0 {
                    if hi <= 0.0 {
                        a = b - 3.0;
                    } else {
                        b = a + 3.0;
                    }
                }
                let (a, b) = (a as i64, b as i64);
                return (a..=b).map(|k| k as f64 * step).collect();
            }
        }
        exp += 1;
    }
    vec![lo, hi]
}

/// (min of negative stacks, max of positive stacks), both including 0.
fn stacked_extent(series: &[Prepared]) -> (f64, f64) {
    let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
    for i in 0..n {
        let (mut pos, mut neg) = (0.0, 0.0);
        for v in series.iter().filter_map(|s| s.values.get(i)) {
            if v.is_finite() {
                if *v > 0.0 {
                    pos += v;
                } else {
                    neg += v;
                }
            }
        }
        hi = hi.max(pos);
        lo = lo.min(neg);
    }
    (lo, hi)
}

/// (min, max) of all finite values, both including 0.
fn value_extent(series: &[Prepared]) -> (f64, f64) {
    series
        .iter()
        .flat_map(|s| s.values.iter())
        .filter(|v| v.is_finite())
        .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)))
}

fn clean(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(-MAX_ABS, MAX_ABS)
    } else {
        f64::NAN
    }
}

fn tooltip(category: &str, series: &str, value: f64, unit: &str) -> String {
    format!(
        "{} · {}: {}{}",
        category.trim(),
        series.trim(),
        fmt_num(value),
        unit
    )
}

fn push_title(out: &mut String, text: &str) {
    out.push_str("<title>");
    out.push_str(&esc(text));
    out.push_str("</title>");
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// At most one decimal place, no trailing ".0", no "-0"; non-finite → "0".
fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let mut s = format!("{v:.1}");
    if s.ends_with(".0") {
        s.truncate(s.len() - 2);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Like [`fmt_num`] but abbreviates large axis values: 15k, 2.5M, 3G.
fn fmt_compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", fmt_num(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", fmt_num(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", fmt_num(v / 1e3))
    } else {
        fmt_num(v)
    }
}

/// XML-escapes text and attribute values (& < > " ') and drops characters
/// that are not allowed in XML 1.0.
fn esc(s: &str) -> String {
    let xml: String = s
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect();
    crate::html::escape(&xml)
}

/// Shortens to at most `max` chars (counting the trailing ellipsis).
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Keeps `[A-Za-z0-9_-]` words; falls back to `series-N` (1-based).
fn css_class(raw: &str, index: usize) -> String {
    let words: Vec<String> = raw
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        format!("series-{}", index + 1)
    } else {
        words.join(" ")
    }
}

/// `chart-{kind}-{slug}-{hash}`: deterministic, unique enough for several
/// charts on one page, and only `[a-z0-9-]`.
fn chart_id(title: &str, kind: Kind) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c.to_ascii_lowercase());
            if slug.len() >= 40 {
                break;
            }
        } else {
            dash = true;
        }
    }
    // FNV-1a, so titles that slugify alike (e.g. non-ASCII) still differ.
    let mut hash: u32 = 0x811c_9dc5;
    for b in title.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    if slug.is_empty() {
        format!("chart-{}-{hash:08x}", kind.name())
    } else {
        format!("chart-{}-{slug}-{hash:08x}", kind.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, class: &str, values: &[f64]) -> Series {
        Series {
            name: name.to_string(),
            values: values.to_vec(),
            class: class.to_string(),
        }
    }

    fn chart(categories: &[&str], series: Vec<Series>) -> Chart {
        Chart {
            title: "Incidents per week".to_string(),
            description: "Number of incidents by severity".to_string(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            series,
            y_label: "Incidents".to_string(),
            unit: String::new(),
        }
    }

    /// Minimal XML well-formedness check: tags balanced and properly nested,
    /// no raw `<`, `>` or bare `&` in text or attribute values.
    /// Returns the number of elements.
    fn check_well_formed(svg: &str) -> usize {
        assert!(
            svg.starts_with("<svg role=\"img\" aria-labelledby=\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"), "{svg}");
        let mut stack: Vec<&str> = Vec::new();
        let mut count = 0;
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            check_text(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after.find('>').expect("unclosed tag");
            let tag = &after[..end];
            assert!(!tag.contains('<'), "raw < inside tag: {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
            } else {
                let name = tag
                    .trim_end_matches('/')
                    .split_whitespace()
                    .next()
                    .expect("empty tag");
                assert!(name.chars().all(|c| c.is_ascii_alphabetic()), "{name}");
                count += 1;
                if !tag.ends_with('/') {
                    stack.push(name);
                }
                for value in tag.split('"').skip(1).step_by(2) {
                    check_text(value);
                }
            }
            rest = &after[end + 1..];
            if stack.is_empty() {
                assert!(rest.is_empty(), "content after root: {rest}");
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        count
    }

    fn check_text(text: &str) {
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        for (i, _) in text.match_indices('&') {
            let ent = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| ent.starts_with(e)),
                "bare &: {text}"
            );
        }
    }

    /// Values of attribute `attr` on every element whose opening tag starts
    /// with `prefix`.
    fn attrs<'a>(svg: &'a str, prefix: &str, attr: &str) -> Vec<&'a str> {
        let key = format!(" {attr}=\"");
        svg.match_indices(prefix)
            .filter_map(|(i, _)| {
                let tag = &svg[i..i + svg[i..].find('>')?];
                let v = &tag[tag.find(&key)? + key.len()..];
                Some(&v[..v.find('"')?])
            })
            .collect()
    }

    /// No number in the output has more than one decimal place.
    fn assert_short_numbers(svg: &str) {
        let b = svg.as_bytes();
        for w in b.windows(4) {
            let bad = w[0].is_ascii_digit()
                && w[1] == b'.'
                && w[2].is_ascii_digit()
                && w[3].is_ascii_digit();
            assert!(!bad, "long number near {:?}", String::from_utf8_lossy(w));
        }
    }

    fn sample() -> Chart {
        chart(
            &["W1", "W2", "W3", "W4"],
            vec![
                series("SEV1", "sev1", &[1.0, 0.0, 2.0, 0.1 + 0.2]),
                series("SEV2", "sev2", &[3.0, 4.0, f64::NAN, 5.0]),
            ],
        )
    }

    #[test]
    fn bars_structure() {
        let svg = stacked_bars(&sample());
        check_well_formed(&svg);
        assert_short_numbers(&svg);
        let id = "chart-bars-incidents-per-week-";
        assert!(svg.contains(&format!("aria-labelledby=\"{id}")));
        assert!(svg.contains("viewBox=\"0 0 720 280\" class=\"chart\""));
        assert!(!svg.contains(" width=\"720\"") && !svg.contains(" height=\"280\""));
        // <title> and <desc> come first.
        let after_root = &svg[svg.find('>').unwrap_or(0) + 1..];
        assert!(after_root.starts_with(&format!("<title id=\"{id}")));
        assert!(svg.contains("-desc\">Number of incidents by severity</desc>"));
        // 0 values and NaN produce no segment: 3 + 3 segments.
        assert_eq!(svg.matches("<rect class=\"bar sev1\"").count(), 3);
        assert_eq!(svg.matches("<rect class=\"bar sev2\"").count(), 3);
        assert!(svg.contains("<title>W4 · SEV1: 0.3</title>"));
        assert!(svg.contains("<title>W1 · SEV2: 3</title>"));
        // Legend with two swatches.
        assert_eq!(svg.matches("class=\"swatch ").count(), 2);
        assert!(svg.contains(">SEV2</text>"));
        assert!(svg.contains("class=\"y-label\""));
        assert_eq!(svg.matches("class=\"x-label\"").count(), 4);
        // Max stack is 5.3 → ticks 0,2,4,6.
        let ticks: Vec<String> = attrs(&svg, "<text class=\"tick\"", "x")
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(ticks.len(), 4);
        assert!(svg.contains(">6</text>"));
    }

    #[test]
    fn lines_structure_and_gaps() {
        let c = chart(
            &["a", "b", "c", "d", "e", "f"],
            vec![series(
                "MTTR",
                "sev1",
                &[1.0, 2.0, f64::NAN, 3.0, 4.0, f64::INFINITY],
            )],
        );
        let svg = lines(&c);
        check_well_formed(&svg);
        assert_short_numbers(&svg);
        assert!(svg.contains("aria-labelledby=\"chart-lines-incidents-per-week-"));
        // One path with two sub-paths (a-b and d-e), broken at NaN.
        assert_eq!(svg.matches("<path class=\"line sev1\"").count(), 1);
        let d = attrs(&svg, "<path", "d");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].matches('M').count(), 2);
        assert_eq!(d[0].matches('L').count(), 2);
        // Markers only for finite values.
        assert_eq!(svg.matches("<circle class=\"point sev1\"").count(), 4);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Single series: no legend.
        assert!(!svg.contains("class=\"legend\""));
    }

    #[test]
    fn lines_isolated_points_have_markers_but_no_path() {
        let c = chart(
            &["a", "b", "c"],
            vec![series("x", "sev1", &[1.0, f64::NAN, 2.0])],
        );
        let svg = lines(&c);
        check_well_formed(&svg);
        assert!(!svg.contains("<path"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }

    #[test]
    fn escaping() {
        let evil = "<script>alert(1)</script> & \"quotes\" 'single'";
        let c = Chart {
            title: evil.to_string(),
            description: evil.to_string(),
            categories: vec![evil.to_string(), "ok".to_string()],
            series: vec![
                series(evil, "sev1\"><script>", &[1.0, 2.0]),
                series("<b>", "", &[3.0, 4.0]),
            ],
            y_label: evil.to_string(),
            unit: "<script>".to_string(),
        };
        for svg in [stacked_bars(&c), lines(&c)] {
            check_well_formed(&svg);
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("<b>"));
            assert!(svg.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;single&#39;"
            ));
            // Class is sanitised, fallback class used for the empty one.
            assert!(svg.contains("class=\"swatch sev1script\""));
            assert!(svg.contains("class=\"swatch series-2\""));
        }
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(esc("a\u{0}b\u{1b}c\td"), "abc d");
    }

    #[test]
    fn nice_tick_values() {
        assert_eq!(nice_ticks(0.0, 37.0), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(0.0, 5.0), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(nice_ticks(-5.0, 12.0), vec![-5.0, 0.0, 5.0, 10.0, 15.0]);
        // All zeros → 0..1.
        let z = nice_ticks(0.0, 0.0);
        assert_eq!(z.first().copied(), Some(0.0));
        assert_eq!(z.last().copied(), Some(1.0));
        // Sweep: always 4..=6 ticks, covering the data, steps of 1/2/5×10^n.
        let mut v = 1e-6;
        while v < 1e13 {
            for (lo, hi) in [(0.0, v), (-v, 0.0), (-v / 3.0, v), (f64::NAN, v)] {
                let t = nice_ticks(lo, hi);
                assert!((4..=6).contains(&t.len()), "{lo} {hi} {t:?}");
                let (first, last) = (t[0], t[t.len() - 1]);
                assert!(first <= lo.min(0.0) || lo.is_nan(), "{lo} {hi} {t:?}");
                assert!(last >= hi.max(0.0), "{lo} {hi} {t:?}");
                let step = t[1] - t[0];
                let mant = step / 10_f64.powi(step.log10().floor() as i32);
                assert!(
                    [1.0, 2.0, 5.0, 10.0]
                        .iter()
                        .any(|m| (mant - m).abs() < 1e-6),
                    "{step} {t:?}"
                );
                assert!(step >= 0.1 - 1e-9);
            }
            v *= 1.37;
        }
    }

    #[test]
    fn number_formatting() {
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(-0.04), "0");
        assert_eq!(fmt_num(-2.55), "-2.5");
        assert_eq!(fmt_num(f64::NAN), "0");
        assert_eq!(fmt_compact(25_000.0), "25k");
        assert_eq!(fmt_compact(1_500_000.0), "1.5M");
        assert_eq!(fmt_compact(2_000.0), "2000");
    }

    #[test]
    fn empty_cases() {
        let cases = [
            chart(&[], vec![]),
            chart(&["a", "b"], vec![]),
            chart(&[], vec![series("x", "sev1", &[1.0, 2.0])]),
            chart(&["a", "b"], vec![series("x", "sev1", &[])]),
            chart(
                &["a", "b"],
                vec![series("x", "sev1", &[f64::NAN, f64::NAN])],
            ),
        ];
        for c in &cases {
            for svg in [stacked_bars(c), lines(c)] {
                check_well_formed(&svg);
                assert!(svg.contains(">No data</text>"), "{svg}");
                assert!(svg.contains(">Incidents per week</title>"));
                assert!(!svg.contains("<rect") && !svg.contains("<circle"));
            }
        }
        let mut untitled = Chart::default();
        untitled.title.clear();
        let svg = stacked_bars(&untitled);
        check_well_formed(&svg);
        assert!(svg.contains("aria-labelledby=\"chart-bars-811c9dc5-title"));
    }

    #[test]
    fn all_zeros_negative_and_single_category() {
        let zeros = chart(&["a", "b"], vec![series("x", "sev1", &[0.0, 0.0])]);
        for svg in [stacked_bars(&zeros), lines(&zeros)] {
            check_well_formed(&svg);
            assert!(!svg.contains("No data"));
            assert!(svg.contains("class=\"axis\""));
        }
        let neg = chart(
            &["a", "b"],
            vec![
                series("x", "sev1", &[-3.0, 2.0]),
                series("y", "sev2", &[-1.0, -7.5]),
            ],
        );
        for svg in [stacked_bars(&neg), lines(&neg)] {
            check_well_formed(&svg);
            assert_short_numbers(&svg);
            assert!(svg.contains(">-8</text>") || svg.contains(">-10</text>"));
            // No negative heights.
            assert!(
                attrs(&svg, "<rect class=\"bar", "height")
                    .iter()
                    .all(|h| !h.starts_with('-'))
            );
        }
        let one = chart(&["only"], vec![series("x", "sev1", &[4.0])]);
        for svg in [stacked_bars(&one), lines(&one)] {
            check_well_formed(&svg);
            assert!(svg.contains(">only</text>"));
        }
        assert_eq!(stacked_bars(&one).matches("<rect class=\"bar").count(), 1);
        assert_eq!(lines(&one).matches("<circle").count(), 1);
    }

    #[test]
    fn huge_values_are_clamped() {
        let c = chart(
            &["a", "b", "c"],
            vec![
                series("x", "sev1", &[f64::MAX, 1e300, -f64::MAX]),
                series("y", "sev2", &[f64::MAX, 1.0, f64::NEG_INFINITY]),
            ],
        );
        for svg in [stacked_bars(&c), lines(&c)] {
            check_well_formed(&svg);
            assert_short_numbers(&svg);
            assert!(!svg.contains("NaN") && !svg.contains("inf"));
        }
    }

    #[test]
    fn many_categories_thin_labels_but_keep_bars() {
        let cats: Vec<String> = (0..500).map(|i| format!("2024-{i:03}")).collect();
        let cat_refs: Vec<&str> = cats.iter().map(String::as_str).collect();
        let values: Vec<f64> = (0..500).map(|i| (i % 17) as f64 + 1.0).collect();
        let c = chart(&cat_refs, vec![series("x", "sev1", &values)]);
        let svg = stacked_bars(&c);
        check_well_formed(&svg);
        assert_short_numbers(&svg);
        assert_eq!(svg.matches("<rect class=\"bar sev1\"").count(), 500);
        let xs: Vec<f64> = attrs(&svg, "<text class=\"x-label", "x")
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect();
        assert!(xs.len() >= 3 && xs.len() < 30, "{}", xs.len());
        // Horizontal labels of 8 chars: centres at least one label width apart.
        let min_gap = 8.0 * CHAR_W;
        assert!(xs.windows(2).all(|w| w[1] - w[0] >= min_gap), "{xs:?}");
        assert!(xs.iter().all(|x| *x >= 0.0 && *x <= WIDTH));

        let svg = lines(&c);
        check_well_formed(&svg);
        assert_eq!(svg.matches("<circle").count(), 500);
    }

    #[test]
    fn long_labels_rotate_and_truncate() {
        let long = "a very long category label that goes on and on and on";
        let cats: Vec<String> = (0..60).map(|i| format!("{long} {i}")).collect();
        let cat_refs: Vec<&str> = cats.iter().map(String::as_str).collect();
        let values = vec![1.0; 60];
        let c = chart(&cat_refs, vec![series(long, "sev1", &values)]);
        let svg = stacked_bars(&c);
        check_well_formed(&svg);
        assert_short_numbers(&svg);
        let xs: Vec<f64> = attrs(&svg, "<text class=\"x-label rotated\"", "x")
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect();
        assert!(xs.len() >= 2 && xs.len() < 60);
        assert!(xs.windows(2).all(|w| w[1] - w[0] >= ROT_SPACING));
        assert!(
            xs.iter()
                .all(|x| x - MAX_ROT_LABEL_CHARS as f64 * CHAR_W * SIN45 >= -0.1)
        );
        // Full label still available on hover.
        assert!(svg.contains(&format!("<title>{long} 0</title>")));
        assert!(svg.contains("a very long c…</text>"));
        assert_eq!(svg.matches("<rect class=\"bar").count(), 60);
    }

    #[test]
    fn label_layout_rules() {
        let short: Vec<String> = vec!["Jan".to_string(); 12];
        let l = x_label_layout(&short, 50.0);
        assert_eq!((l.step, l.rotate), (1, false));
        let l = x_label_layout(&short, 5.0);
        assert!(!l.rotate && l.step as f64 * 5.0 >= 3.0 * CHAR_W + 8.0);
        let long: Vec<String> = vec!["x".repeat(40); 12];
        let l = x_label_layout(&long, 50.0);
        assert_eq!((l.step, l.rotate), (1, true));
        let l = x_label_layout(&long, 0.0);
        assert!(l.step >= 1);
        assert!(x_label_layout(&[], f64::NAN).step >= 1);
    }

    #[test]
    fn legend_wraps_and_overflows() {
        let names: Vec<Series> = (0..40)
            .map(|i| series(&format!("series number {i}"), &format!("s{i}"), &[1.0]))
            .collect();
        let c = chart(&["a"], names);
        let svg = stacked_bars(&c);
        check_well_formed(&svg);
        assert!(svg.contains("class=\"legend-more\""));
        let shown = svg.matches("class=\"legend-item\"").count();
        assert!(shown > 3 && shown < 40);
        assert!(svg.contains(&format!(">+{} more</text>", 40 - shown)));
        // Every segment is still drawn.
        assert_eq!(svg.matches("<rect class=\"bar").count(), 40);
    }

    #[test]
    fn deterministic_and_distinct_ids() {
        let c = sample();
        assert_eq!(stacked_bars(&c), stacked_bars(&c));
        assert_eq!(lines(&c), lines(&c));
        let a = chart_id("MTTR (minutes)", Kind::Lines);
        assert!(a.starts_with("chart-lines-mttr-minutes-"));
        assert_ne!(a, chart_id("MTTR minutes", Kind::Lines));
        assert_ne!(a, chart_id("MTTR (minutes)", Kind::Bars));
        assert_ne!(chart_id("障害", Kind::Bars), chart_id("事故", Kind::Bars));
        let long = chart_id(&"x".repeat(500), Kind::Bars);
        assert!(long.len() < 70);
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }

    #[test]
    fn unit_in_ticks_and_tooltips() {
        let mut c = chart(&["a", "b"], vec![series("MTTR", "sev1", &[12.0, 47.0])]);
        c.unit = " min".to_string();
        let svg = lines(&c);
        assert!(svg.contains(">50 min</text>"));
        assert!(svg.contains("<title>b · MTTR: 47 min</title>"));
        c.unit = " incidents per week".to_string();
        let svg = lines(&c);
        assert!(svg.contains(">50</text>"));
        assert!(svg.contains("<title>b · MTTR: 47 incidents per week</title>"));
    }
}
