//! The reference builder: hnsw_rs inserts, then its graph is copied out into flat arrays.
//! Kept beside our own builder ([`crate::ann::native`]) as the yardstick for graph quality
//! (tests compare the two) and for `segue reindex --builder hnsw-rs`.

use hnsw_rs::prelude::{Distance, Hnsw};

use crate::ann::build::{GraphData, NO_NODE, UpperLayer};
use crate::error::{IndexError, Result};
use crate::kernels;
use crate::vectors::VectorFile;

/// hnsw_rs never uses more layers than this.
const MAX_LAYERS: usize = 16;

/// Cosine distance on L2-normalised rows through our run-time-dispatched SIMD kernel.
#[derive(Debug, Clone, Copy, Default)]
pub struct DotDistance;

impl Distance<f32> for DotDistance {
    #[inline]
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - kernels::dot(a, b)).max(0.0)
    }
}

/// Inserts rows `0..g.rows` of `vectors` into hnsw_rs (in chunks of `chunk` rows, on `pool`
/// unless `threads == 1`) and extracts the graph into `g`.
pub fn build(
    vectors: &VectorFile,
    g: GraphData,
    threads: usize,
    pool: &rayon::ThreadPool,
    chunk: usize,
    progress: &dyn Fn(u64),
) -> Result<GraphData> {
    let n = g.rows as usize;
    let hnsw: Hnsw<f32, DotDistance> = Hnsw::new(
        g.m as usize,
        n,
        MAX_LAYERS,
        g.ef_construction as usize,
        DotDistance,
    );
    // The first point alone: it becomes the entry point before threads race to link to it.
    hnsw.insert_slice((vectors.row(0), 0));
    let mut done = 1usize;
    while done < n {
        let end = (done + chunk).min(n);
        let batch: Vec<(&[f32], usize)> = (done..end).map(|r| (vectors.row(r), r)).collect();
        if threads == 1 {
            for item in batch {
                hnsw.insert_slice(item);
            }
        } else {
            pool.install(|| hnsw.parallel_insert_slice(&batch));
        }
        done = end;
        progress(done as u64);
    }
    extract(&hnsw, g)
}

/// Copies hnsw_rs's graph into flat arrays indexed by row number.
fn extract(hnsw: &Hnsw<f32, DotDistance>, mut g: GraphData) -> Result<GraphData> {
    let n = g.rows as usize;
    let (m, m0) = (g.m as usize, g.m0 as usize);
    let top = hnsw.get_max_level_observed() as usize;
    g.level0 = vec![NO_NODE; n * (1 + m0)];
    let mut upper_nodes: Vec<Vec<(u32, Vec<u32>)>> = vec![Vec::new(); top];
    let mut seen = vec![false; n];
    for point in hnsw.get_point_indexation() {
        let row = point.get_origin_id();
        if row >= n || seen[row] {
            return Err(IndexError::InvalidArgument(format!(
                "hnsw_rs returned row {row} twice or out of range (graph of {n} rows)"
            )));
        }
        seen[row] = true;
        let level = point.get_point_id().0 as usize;
        let links = point.get_neighborhood_id();
        if level == top && g.entry == NO_NODE {
            g.entry = row as u32;
        }
        for (layer, neighbours) in links.iter().enumerate().take(level + 1) {
            // hnsw_rs keeps each list sorted nearest first; keep that order, drop self-links.
            let ids: Vec<u32> = neighbours
                .iter()
                .map(|nb| nb.get_origin_id() as u32)
                .filter(|&id| id as usize != row && (id as usize) < n)
                .collect();
            if layer == 0 {
                let rec = &mut g.level0[row * (1 + m0)..(row + 1) * (1 + m0)];
                let kept = ids.len().min(m0);
                rec[0] = kept as u32;
                rec[1..=kept].copy_from_slice(&ids[..kept]);
            } else {
                upper_nodes[layer - 1].push((row as u32, ids));
            }
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(IndexError::InvalidArgument(format!(
            "hnsw_rs lost row {missing} while building"
        )));
    }
    g.upper = upper_nodes
        .into_iter()
        .map(|mut nodes| {
            nodes.sort_unstable_by_key(|(id, _)| *id);
            let mut layer = UpperLayer {
                ids: nodes.iter().map(|(id, _)| *id).collect(),
                adj: vec![NO_NODE; nodes.len() * (1 + m)],
            };
            for (i, (_, links)) in nodes.iter().enumerate() {
                let rec = &mut layer.adj[i * (1 + m)..(i + 1) * (1 + m)];
                let kept = links.len().min(m);
                rec[0] = kept as u32;
                rec[1..=kept].copy_from_slice(&links[..kept]);
            }
            layer
        })
        .collect();
    // Upper-layer links may name nodes that are only on lower layers in hnsw_rs's bookkeeping;
    // a search would then look them up on a layer they are not on. Drop such links.
    for layer in &mut g.upper {
        let ids = layer.ids.clone();
        for rec in layer.adj.chunks_mut(1 + m) {
            let count = rec[0] as usize;
            let kept: Vec<u32> = rec[1..=count]
                .iter()
                .copied()
                .filter(|id| ids.binary_search(id).is_ok())
                .collect();
            rec[1..].fill(NO_NODE);
            rec[0] = kept.len() as u32;
            rec[1..=kept.len()].copy_from_slice(&kept);
        }
    }
    Ok(g)
}
