//! A layered layout of the tree, for drawing it as SVG without Graphviz.
//!
//! The bot's machine may have no Graphviz and a page must not fetch a renderer, so the
//! picture is laid out here, the way `dot` does it in small:
//!
//! 1. **Ranks**: each node sits one rank below its lowest parent (longest path from the
//!    start), so every edge points down.
//! 2. **Layers**: node ranks become even layers; each edge gets an item in every layer
//!    it crosses, the first one carrying its label. Labels thus take room like nodes and
//!    never lie on a node or on each other.
//! 3. **Order**: a depth-first order from the start, improved by barycentre sweeps, keeping
//!    the order with the fewest crossings.
//! 4. **Position**: each item moves towards the mean of its neighbours while keeping its
//!    order and spacing, solved exactly per layer as an isotonic regression (pool adjacent
//!    violators); long edges weigh more, so they run straight.
//!
//! Everything is deterministic: ties keep the earlier order, and no hash map decides
//! anything. Text widths assume a monospace font (0.6 em a cell, wide characters two
//! cells), which is what the SVG asks for.

use super::Graph;

/// Font size of node labels, in pixels.
pub const FONT_PX: f64 = 12.0;
/// Font size of edge labels, in pixels.
pub const LABEL_FONT_PX: f64 = 11.0;
/// Width of one monospace cell, in em.
pub const CELL_EM: f64 = 0.6;
/// Line height, in em.
pub const LINE_EM: f64 = 1.3;
/// At most this many cells on one line of a node label before it wraps.
pub const NODE_CELLS: usize = 30;
/// At most this many cells on one line of an edge label before it wraps.
pub const LABEL_CELLS: usize = 22;
const PAD_X: f64 = 10.0;
const PAD_Y: f64 = 7.0;
const LABEL_PAD: f64 = 3.0;
const SEPARATION: f64 = 16.0;
const LAYER_GAP: f64 = 14.0;
const DUMMY_WIDTH: f64 = 8.0;
const MARGIN: f64 = 12.0;
const ORDER_SWEEPS: usize = 24;
const POSITION_SWEEPS: usize = 40;

/// A placed node: its centre, size and wrapped label lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub lines: Vec<String>,
}

/// A routed edge: the points it passes, from the bottom of its source to the top of its
/// target, and its label's box.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub points: Vec<(f64, f64)>,
    pub label: Placed,
}

/// The whole picture's geometry, in the order of the graph's nodes and edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Placed>,
    pub edges: Vec<Route>,
}

/// Display cells of `c`: two for East Asian wide and full-width characters.
fn cells_of(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// Display cells of `s`.
pub fn cells(s: &str) -> usize {
    s.chars().map(cells_of).sum()
}

/// `s` cut into lines of at most `max` cells: at spaces where there are any, anywhere in
/// a run without spaces (Japanese) that is too long. A single word longer than `max`
/// (an id) stays whole.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let pieces: Vec<String> = if cells(word) > max && word.chars().any(|c| cells_of(c) == 2) {
            let mut pieces = vec![String::new()];
            for c in word.chars() {
                let last = pieces.last_mut().expect("never empty");
                if cells(last) + cells_of(c) > max {
                    pieces.push(c.to_string());
                } else {
                    last.push(c);
                }
            }
            pieces
        } else {
            vec![word.to_owned()]
        };
        for piece in pieces {
            if line.is_empty() {
                line = piece;
            } else if cells(&line) + 1 + cells(&piece) <= max {
                line.push(' ');
                line.push_str(&piece);
            } else {
                lines.push(std::mem::take(&mut line));
                line = piece;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn text_size(lines: &[String], font: f64, pad_x: f64, pad_y: f64) -> (f64, f64) {
    let widest = lines.iter().map(|l| cells(l)).max().unwrap_or(0) as f64;
    (
        widest * CELL_EM * font + 2.0 * pad_x,
        lines.len() as f64 * LINE_EM * font + 2.0 * pad_y,
    )
}

/// Something that takes room in a layer: a node (items `0..n` are the graph's nodes in
/// order), an edge's label (the first item of its chain) or a bend point of an edge.
#[derive(Debug, Clone)]
struct Item {
    layer: usize,
    width: f64,
    height: f64,
}

/// A link between items of adjacent layers, `upper` in the layer above `lower`.
#[derive(Debug, Clone, Copy)]
struct Link {
    upper: usize,
    lower: usize,
    weight: f64,
}

impl Layout {
    /// Lays out `graph`.
    pub fn of(graph: &Graph) -> Layout {
        let n = graph.nodes.len();
        let rank = ranks(graph);

        // Items: the nodes, then each edge's label and bend points.
        let mut items: Vec<Item> = Vec::new();
        let mut node_lines = Vec::with_capacity(n);
        for (i, node) in graph.nodes.iter().enumerate() {
            let lines: Vec<String> = node
                .lines
                .iter()
                .flat_map(|l| wrap(l, NODE_CELLS))
                .collect();
            let (width, height) = text_size(&lines, FONT_PX, PAD_X, PAD_Y);
            items.push(Item {
                layer: 2 * rank[i],
                width,
                height,
            });
            node_lines.push(lines);
        }
        let mut chains: Vec<Vec<usize>> = Vec::with_capacity(graph.edges.len());
        let mut label_lines = Vec::with_capacity(graph.edges.len());
        let mut links: Vec<Link> = Vec::new();
        for edge in &graph.edges {
            let lines = wrap(&edge.label, LABEL_CELLS);
            let (lw, lh) = text_size(&lines, LABEL_FONT_PX, LABEL_PAD, LABEL_PAD);
            label_lines.push(lines);
            let mut chain = vec![edge.from];
            for layer in 2 * rank[edge.from] + 1..2 * rank[edge.to] {
                let first = layer == 2 * rank[edge.from] + 1;
                items.push(Item {
                    layer,
                    width: if first { lw } else { DUMMY_WIDTH },
                    height: if first { lh } else { 0.0 },
                });
                chain.push(items.len() - 1);
            }
            chain.push(edge.to);
            for (k, pair) in chain.windows(2).enumerate() {
                let virtual_ends = pair.iter().filter(|&&i| i >= n).count();
                // A label stays under its question (readers look for a question's
                // answers there); long edges run straight, as in dot.
                let weight = if k == 0 {
                    8.0
                } else {
                    [1.0, 2.0, 8.0][virtual_ends]
                };
                links.push(Link {
                    upper: pair[0],
                    lower: pair[1],
                    weight,
                });
            }
            chains.push(chain);
        }
        let layers_count = items.iter().map(|i| i.layer).max().unwrap_or(0) + 1;

        let mut layers = initial_order(graph, &items, &chains, layers_count);
        reduce_crossings(&mut layers, &items, &links);
        let x = positions(&layers, &items, &links);

        // Layer bands, top to bottom; an empty band takes no room.
        let mut centre_y = vec![0.0; layers_count];
        let mut y = MARGIN;
        for (l, layer) in layers.iter().enumerate() {
            if layer.is_empty() {
                centre_y[l] = y;
                continue;
            }
            let h = layer
                .iter()
                .map(|&i| items[i].height)
                .fold(0.0_f64, f64::max);
            centre_y[l] = y + h / 2.0;
            y += h + LAYER_GAP;
        }
        let height = y - LAYER_GAP + MARGIN;
        let left = items
            .iter()
            .enumerate()
            .map(|(i, it)| x[i] - it.width / 2.0)
            .fold(f64::INFINITY, f64::min);
        let shift = MARGIN - left;
        let width = items
            .iter()
            .enumerate()
            .map(|(i, it)| x[i] + shift + it.width / 2.0)
            .fold(0.0_f64, f64::max)
            + MARGIN;
        let at = |i: usize| (round(x[i] + shift), round(centre_y[items[i].layer]));

        let nodes = (0..n)
            .map(|i| {
                let (cx, cy) = at(i);
                Placed {
                    x: cx,
                    y: cy,
                    width: round(items[i].width),
                    height: round(items[i].height),
                    lines: node_lines[i].clone(),
                }
            })
            .collect::<Vec<_>>();
        let edges = chains
            .iter()
            .zip(label_lines)
            .map(|(chain, lines)| {
                let (from, to) = (chain[0], chain[chain.len() - 1]);
                let mut points = vec![(
                    nodes[from].x,
                    round(nodes[from].y + nodes[from].height / 2.0),
                )];
                points.extend(chain[1..chain.len() - 1].iter().map(|&i| at(i)));
                points.push((nodes[to].x, round(nodes[to].y - nodes[to].height / 2.0)));
                let (lx, ly) = at(chain[1]);
                Route {
                    points,
                    label: Placed {
                        x: lx,
                        y: ly,
                        width: round(items[chain[1]].width),
                        height: round(items[chain[1]].height),
                        lines,
                    },
                }
            })
            .collect();
        Layout {
            width: round(width),
            height: round(height),
            nodes,
            edges,
        }
    }
}

/// Rounds to a tenth of a pixel, so the SVG's numbers are short and stable.
fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Each node's rank: one below its lowest parent (the rules have no cycles).
fn ranks(graph: &Graph) -> Vec<usize> {
    let n = graph.nodes.len();
    let mut indegree = vec![0usize; n];
    for e in &graph.edges {
        indegree[e.to] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(u) = ready.pop_first() {
        for e in graph.edges.iter().filter(|e| e.from == u) {
            rank[e.to] = rank[e.to].max(rank[u] + 1);
            indegree[e.to] -= 1;
            if indegree[e.to] == 0 {
                ready.insert(e.to);
            }
        }
    }
    rank
}

/// Depth-first from the start: each node's edges left to right in choice order.
fn initial_order(
    graph: &Graph,
    items: &[Item],
    chains: &[Vec<usize>],
    layers_count: usize,
) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layers_count];
    let mut placed = vec![false; items.len()];
    fn visit(
        node: usize,
        graph: &Graph,
        items: &[Item],
        chains: &[Vec<usize>],
        placed: &mut [bool],
        layers: &mut [Vec<usize>],
    ) {
        if placed[node] {
            return;
        }
        placed[node] = true;
        layers[items[node].layer].push(node);
        for (e, edge) in graph.edges.iter().enumerate() {
            if edge.from != node {
                continue;
            }
            for &i in &chains[e][1..chains[e].len() - 1] {
                placed[i] = true;
                layers[items[i].layer].push(i);
            }
            visit(edge.to, graph, items, chains, placed, layers);
        }
    }
    let starts = (0..graph.nodes.len())
        .filter(|&i| graph.nodes[i].start)
        .chain(0..items.len());
    for s in starts.collect::<Vec<_>>() {
        if s < graph.nodes.len() {
            visit(s, graph, items, chains, &mut placed, &mut layers);
        } else if !placed[s] {
            placed[s] = true;
            layers[items[s].layer].push(s);
        }
    }
    layers
}

/// The links between layer `l` and `l + 1`, for every `l`.
fn links_by_layer(layers: &[Vec<usize>], items: &[Item], links: &[Link]) -> Vec<Vec<Link>> {
    let mut by: Vec<Vec<Link>> = vec![Vec::new(); layers.len()];
    for k in links {
        by[items[k.upper].layer].push(*k);
    }
    by
}

/// Crossings between layer `l` and `l + 1`.
fn crossings_below(by: &[Vec<Link>], l: usize, pos: &[usize]) -> usize {
    let Some(segs) = by.get(l) else { return 0 };
    let mut count = 0;
    for (i, a) in segs.iter().enumerate() {
        for b in &segs[i + 1..] {
            let (au, al, bu, bl) = (pos[a.upper], pos[a.lower], pos[b.upper], pos[b.lower]);
            if (au < bu && al > bl) || (au > bu && al < bl) {
                count += 1;
            }
        }
    }
    count
}

fn crossings(by: &[Vec<Link>], pos: &[usize]) -> usize {
    (0..by.len()).map(|l| crossings_below(by, l, pos)).sum()
}

fn positions_in(layers: &[Vec<usize>], items_len: usize) -> Vec<usize> {
    let mut pos = vec![0usize; items_len];
    for layer in layers {
        for (p, &i) in layer.iter().enumerate() {
            pos[i] = p;
        }
    }
    pos
}

/// Barycentre sweeps, down then up, keeping the order with the fewest crossings.
fn reduce_crossings(layers: &mut Vec<Vec<usize>>, items: &[Item], links: &[Link]) {
    let by = links_by_layer(layers, items, links);
    let mut pos = positions_in(layers, items.len());
    let mut best = (crossings(&by, &pos), layers.clone());
    for sweep in 0..ORDER_SWEEPS {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for l in order {
            let mut keyed: Vec<(f64, usize, usize)> = layers[l]
                .iter()
                .map(|&i| {
                    let neighbours: Vec<usize> = links
                        .iter()
                        .filter_map(|k| match down {
                            true if k.lower == i => Some(pos[k.upper]),
                            false if k.upper == i => Some(pos[k.lower]),
                            _ => None,
                        })
                        .collect();
                    let key = if neighbours.is_empty() {
                        pos[i] as f64
                    } else {
                        neighbours.iter().sum::<usize>() as f64 / neighbours.len() as f64
                    };
                    (key, pos[i], i)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            layers[l] = keyed.into_iter().map(|(_, _, i)| i).collect();
            for (p, &i) in layers[l].iter().enumerate() {
                pos[i] = p;
            }
        }
        transpose(layers, &by, &mut pos);
        let c = crossings(&by, &pos);
        if c < best.0 {
            best = (c, layers.clone());
        }
    }
    *layers = best.1;
}

/// Swaps neighbours in a layer while that lowers the crossings (dot's "transpose").
fn transpose(layers: &mut [Vec<usize>], by: &[Vec<Link>], pos: &mut [usize]) {
    let around = |l: usize, pos: &[usize]| {
        crossings_below(by, l, pos) + l.checked_sub(1).map_or(0, |u| crossings_below(by, u, pos))
    };
    for _ in 0..8 {
        let mut improved = false;
        for (l, layer) in layers.iter_mut().enumerate() {
            for p in 0..layer.len().saturating_sub(1) {
                let before = around(l, pos);
                let (a, b) = (layer[p], layer[p + 1]);
                layer.swap(p, p + 1);
                pos.swap(a, b);
                if around(l, pos) < before {
                    improved = true;
                } else {
                    layer.swap(p, p + 1);
                    pos.swap(a, b);
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Horizontal centres: packed, then pulled towards their neighbours.
fn positions(layers: &[Vec<usize>], items: &[Item], links: &[Link]) -> Vec<f64> {
    let mut x = vec![0.0; items.len()];
    for layer in layers {
        let mut right = 0.0;
        for &i in layer {
            x[i] = right + items[i].width / 2.0;
            right += items[i].width + SEPARATION;
        }
    }
    for sweep in 0..POSITION_SWEEPS {
        // Down, up, and every fourth sweep both ways at once.
        let (use_upper, use_lower) = match sweep % 4 {
            0 => (true, false),
            1 => (false, true),
            2 => (true, false),
            _ => (true, true),
        };
        let order: Vec<usize> = if use_lower && !use_upper {
            (0..layers.len()).rev().collect()
        } else {
            (0..layers.len()).collect()
        };
        for l in order {
            let layer = &layers[l];
            if layer.is_empty() {
                continue;
            }
            let mut target = Vec::with_capacity(layer.len());
            let mut weight = Vec::with_capacity(layer.len());
            for &i in layer {
                let (mut sum, mut total) = (0.0, 0.0);
                for k in links {
                    if use_upper && k.lower == i {
                        sum += k.weight * x[k.upper];
                        total += k.weight;
                    }
                    if use_lower && k.upper == i {
                        sum += k.weight * x[k.lower];
                        total += k.weight;
                    }
                }
                if total > 0.0 {
                    target.push(sum / total);
                    weight.push(total);
                } else {
                    target.push(x[i]);
                    weight.push(0.01);
                }
            }
            let gaps: Vec<f64> = layer
                .windows(2)
                .map(|w| items[w[0]].width / 2.0 + SEPARATION + items[w[1]].width / 2.0)
                .collect();
            for (i, v) in layer.iter().zip(spaced_fit(&target, &weight, &gaps)) {
                x[*i] = v;
            }
        }
    }
    x
}

/// The positions closest to `target` (weighted least squares) that keep their order with
/// at least `gaps[i]` between neighbours `i` and `i + 1`: an isotonic regression after
/// subtracting the gaps, solved by pooling adjacent violators.
fn spaced_fit(target: &[f64], weight: &[f64], gaps: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; target.len()];
    for i in 1..target.len() {
        offset[i] = offset[i - 1] + gaps[i - 1];
    }
    // Blocks of (weighted mean, total weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for i in 0..target.len() {
        blocks.push((target[i] - offset[i], weight[i], 1));
        while blocks.len() > 1 {
            let (m2, w2, c2) = blocks[blocks.len() - 1];
            let (m1, w1, c1) = blocks[blocks.len() - 2];
            if m1 <= m2 {
                break;
            }
            blocks.truncate(blocks.len() - 2);
            blocks.push(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2));
        }
    }
    let mut out = Vec::with_capacity(target.len());
    for (m, _, c) in blocks {
        for _ in 0..c {
            out.push(m + offset[out.len()]);
        }
    }
    out
}

impl Layout {
    /// True if node `a`'s box and node `b`'s box overlap (for tests and checks).
    pub fn overlap(a: &Placed, b: &Placed) -> bool {
        (a.x - b.x).abs() * 2.0 < a.width + b.width && (a.y - b.y).abs() * 2.0 < a.height + b.height
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_fit_keeps_order_and_gaps_and_is_exact_without_conflict() {
        assert_eq!(
            spaced_fit(&[0.0, 100.0], &[1.0, 1.0], &[10.0]),
            vec![0.0, 100.0]
        );
        // Both want 50: they share the conflict equally.
        assert_eq!(
            spaced_fit(&[50.0, 50.0], &[1.0, 1.0], &[10.0]),
            vec![45.0, 55.0]
        );
        // The heavier one moves less.
        let v = spaced_fit(&[50.0, 50.0], &[3.0, 1.0], &[20.0]);
        assert_eq!(v, vec![45.0, 65.0]);
    }

    #[test]
    fn wrapping_splits_at_spaces_and_inside_long_japanese_runs() {
        assert_eq!(wrap("a b c", 3), vec!["a b", "c"]);
        assert_eq!(wrap("free-upgrade-win7-8", 5), vec!["free-upgrade-win7-8"]);
        assert_eq!(wrap("", 5), vec![""]);
        let ja = wrap("ライセンス認証の窓口", 8);
        assert_eq!(ja, vec!["ライセン", "ス認証の", "窓口"]);
        assert!(ja.iter().all(|l| cells(l) <= 8));
    }
}
