//! The laid-out tree as a self-contained SVG: inline styles, no script, no external
//! reference, so it shows the same in a browser, in an `<img>` and embedded in a page.
//!
//! Each node is a `<g data-node="ID" data-kind="question|outcome">` and each edge a
//! `<path data-from="ID" data-to="ID">`, so tests (and readers of the DOM) find the
//! rules' nodes and edges by id.

use std::fmt::Write as _;

use super::escape;
use super::layout::{Layout, Placed, FONT_PX, LABEL_FONT_PX, LINE_EM};
use super::{severity_fill, Graph, GraphNode, NodeKind};

/// Where a node links to, if anywhere.
pub type Href<'a> = &'a dyn Fn(&GraphNode) -> Option<String>;

/// Where nodes link to (the site links outcomes to their pages).
pub struct Links<'a>(Option<Href<'a>>);

impl<'a> Links<'a> {
    pub fn none() -> Self {
        Links(None)
    }

    pub fn by(f: Href<'a>) -> Self {
        Links(Some(f))
    }

    fn href(&self, node: &GraphNode) -> Option<String> {
        self.0.and_then(|f| f(node))
    }
}

const FONT_FAMILY: &str = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";
const QUESTION_STROKE: &str = "#5865f2";
const EDGE_COLOUR: &str = "#555555";

fn num(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// The `x`, `y`, `width` and `height` of box `p`'s rectangle.
fn box_attrs(p: &Placed) -> String {
    format!(
        "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
        num(p.x - p.width / 2.0),
        num(p.y - p.height / 2.0),
        num(p.width),
        num(p.height)
    )
}

/// Centred lines of text inside box `p`.
fn text_block(out: &mut String, p: &Placed, font: f64, class: &str) {
    let line = LINE_EM * font;
    let first = p.y - (p.lines.len() as f64 - 1.0) * line / 2.0;
    let _ = write!(
        out,
        "<text class=\"{class}\" x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">",
        num(p.x),
        num(first),
        num(font)
    );
    for (i, l) in p.lines.iter().enumerate() {
        let _ = write!(
            out,
            "<tspan x=\"{}\" y=\"{}\">{}</tspan>",
            num(p.x),
            num(first + i as f64 * line),
            escape(l)
        );
    }
    out.push_str("</text>");
}

/// A smooth path through `points`, leaving and entering each point vertically.
fn path_data(points: &[(f64, f64)]) -> String {
    let mut d = format!("M{},{}", num(points[0].0), num(points[0].1));
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let mid = (y0 + y1) / 2.0;
        let _ = write!(
            d,
            " C{},{} {},{} {},{}",
            num(x0),
            num(mid),
            num(x1),
            num(mid),
            num(x1),
            num(y1)
        );
    }
    d
}

/// The SVG of `graph` laid out as `layout`.
pub fn render(graph: &Graph, layout: &Layout, links: &Links<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tree\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{name}\" font-family=\"{FONT_FAMILY}\">",
        w = num(layout.width),
        h = num(layout.height),
        name = escape(&graph.name),
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&graph.name));
    let _ = writeln!(
        out,
        "<defs><marker id=\"tree-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{EDGE_COLOUR}\"/></marker></defs>"
    );
    out.push_str("<g class=\"edges\">\n");
    for (e, r) in graph.edges.iter().zip(&layout.edges) {
        let _ = writeln!(
            out,
            "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" data-values=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{EDGE_COLOUR}\" stroke-width=\"1.2\" marker-end=\"url(#tree-arrow)\"/>",
            escape(&graph.nodes[e.from].id),
            escape(&graph.nodes[e.to].id),
            escape(&e.values.join(" ")),
            path_data(&r.points)
        );
    }
    out.push_str("</g>\n<g class=\"edge-labels\">\n");
    for (e, r) in graph.edges.iter().zip(&layout.edges) {
        let l = &r.label;
        let _ = write!(
            out,
            "<g class=\"edge-label\" data-from=\"{}\" data-to=\"{}\"><rect {} rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/>",
            escape(&graph.nodes[e.from].id),
            escape(&graph.nodes[e.to].id),
            box_attrs(l)
        );
        text_block(&mut out, l, LABEL_FONT_PX, "edge-text");
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (n, p) in graph.nodes.iter().zip(&layout.nodes) {
        let href = links.href(n);
        if let Some(h) = &href {
            let _ = write!(out, "<a href=\"{}\">", escape(h));
        }
        let (kind, fill, stroke, rx, width) = match &n.kind {
            NodeKind::Question { .. } => (
                "question",
                "#ffffff".to_owned(),
                QUESTION_STROKE,
                "2",
                if n.start { "3" } else { "1.5" },
            ),
            NodeKind::Outcome { severity, .. } => {
                ("outcome", severity_fill(*severity), "#333333", "10", "1.2")
            }
        };
        let severity = match &n.kind {
            NodeKind::Outcome { severity, .. } => {
                format!(" data-severity=\"{}\"", severity.as_str())
            }
            NodeKind::Question { .. } if n.start => " data-start=\"true\"".to_owned(),
            NodeKind::Question { .. } => String::new(),
        };
        let _ = write!(
            out,
            "<g class=\"node {kind}\" data-node=\"{}\" data-kind=\"{kind}\"{severity}><rect {} rx=\"{rx}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>",
            escape(&n.id),
            box_attrs(p)
        );
        text_block(&mut out, p, FONT_PX, "node-text");
        out.push_str("</g>");
        if href.is_some() {
            out.push_str("</a>");
        }
        out.push('\n');
    }
    out.push_str("</g>\n</svg>\n");
    out
}
