//! Export of the policy network as an ONNX model (opset 17, IR version 8) of the interface
//! documented in `segue_query::policy::interface`, written with hand-written `prost` messages
//! ([`proto`]) rather than generated code: the subset is small and lance already brings prost
//! into the build.

pub mod proto;

use std::path::Path;

use prost::Message;

use crate::error::TrainError;
use crate::net::{Param, PolicyNet};
use proto::*;
use segue_query::policy::interface::{MASKED_LOGIT, metadata};
use segue_query::policy::obs::{FEATURE_VERSION, SLOT_FEATURES};

/// ONNX IR version written (ONNX 1.10+; every ONNX Runtime since 1.10 reads it).
pub const IR_VERSION: i64 = 8;
/// Default-domain opset written.
pub const OPSET: i64 = 17;

/// Builds the graph node by node, naming intermediate values `t0, t1, ...`.
struct Graph {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    next: usize,
}

fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(ATTR_INT),
        ..Default::default()
    }
}

impl Graph {
    fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let out = format!("t{}", self.next);
        self.named(op, inputs, attrs, &out);
        out
    }

    fn named(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>, out: &str) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.to_string()],
            name: Some(format!("n{}_{op}", self.next)),
            op_type: Some(op.into()),
            attribute: attrs,
            domain: None,
        });
        self.next += 1;
    }

    fn float(&mut self, name: &str, dims: &[usize], data: &[f32]) {
        let raw = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.inits.push(TensorProto {
            dims: dims.iter().map(|d| *d as i64).collect(),
            data_type: Some(FLOAT),
            name: Some(name.into()),
            raw_data: Some(raw),
        });
    }

    fn int64(&mut self, name: &str, data: &[i64]) {
        let raw = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.inits.push(TensorProto {
            dims: vec![data.len() as i64],
            data_type: Some(INT64),
            name: Some(name.into()),
            raw_data: Some(raw),
        });
    }
}

fn value_info(name: &str, dims: &[Result<usize, &str>], doc: &str) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| match d {
            Ok(v) => Dimension {
                dim_value: Some(*v as i64),
                dim_param: None,
            },
            Err(p) => Dimension {
                dim_value: None,
                dim_param: Some(p.to_string()),
            },
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: Some(FLOAT),
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
        doc_string: Some(doc.into()),
    }
}

/// The ONNX model of `net`, serialised.
pub fn to_bytes(net: &PolicyNet<f32>) -> Vec<u8> {
    let l = net.layout();
    let mut g = Graph {
        nodes: Vec::new(),
        inits: Vec::new(),
        next: 0,
    };
    for p in Param::ALL {
        let [a, b] = l.shape(p);
        // Biases are 1-D so that they broadcast over any leading axes.
        let dims: Vec<usize> = if a == 1 { vec![b] } else { vec![a, b] };
        g.float(p.name(), &dims, net.params.get(p));
    }
    g.float("one", &[], &[1.0]);
    g.float("big", &[], &[-MASKED_LOGIT]);
    g.int64("axis1", &[1]);
    g.int64("axis2", &[2]);
    g.int64("zero", &[0]);
    g.int64("minus_one", &[-1]);

    // Context encoder.
    let h = g.op("MatMul", &["context", "w_ctx"], vec![]);
    let h = g.op("Add", &[&h, "b_ctx"], vec![]);
    let h = g.op("Tanh", &[&h], vec![]);
    // Slot scorer, broadcast over the K slots.
    let sh = g.op("MatMul", &[&h, "w_slot_h"], vec![]);
    let sh = g.op("Unsqueeze", &[&sh, "axis1"], vec![]);
    let sf = g.op("MatMul", &["slots", "w_slot_f"], vec![]);
    let z = g.op("Add", &[&sf, &sh], vec![]);
    let z = g.op("Add", &[&z, "b_slot"], vec![]);
    let z = g.op("Tanh", &[&z], vec![]);
    let lo = g.op("MatMul", &[&z, "w_slot_out"], vec![]);
    let ll = g.op("MatMul", &["slots", "w_slot_lin"], vec![]);
    let sl = g.op("Add", &[&lo, &ll], vec![]);
    let sl = g.op("Add", &[&sl, "b_slot_out"], vec![]);
    let sl = g.op("Squeeze", &[&sl, "axis2"], vec![]);
    // CONTINUE head.
    let cf = g.op("MatMul", &["continue_features", "w_cont_f"], vec![]);
    let chh = g.op("MatMul", &[&h, "w_cont_h"], vec![]);
    let zc = g.op("Add", &[&cf, &chh], vec![]);
    let zc = g.op("Add", &[&zc, "b_cont"], vec![]);
    let zc = g.op("Tanh", &[&zc], vec![]);
    let co = g.op("MatMul", &[&zc, "w_cont_out"], vec![]);
    let cl = g.op("MatMul", &["continue_features", "w_cont_lin"], vec![]);
    let c = g.op("Add", &[&co, &cl], vec![]);
    let c = g.op("Add", &[&c, "b_cont_out"], vec![]);
    let raw = g.op("Concat", &[&sl, &c], vec![int_attr("axis", 1)]);
    // Mask: logit · m + (m − 1) · 1e8.
    let kept = g.op("Mul", &[&raw, "mask"], vec![]);
    let off = g.op("Sub", &["mask", "one"], vec![]);
    let off = g.op("Mul", &[&off, "big"], vec![]);
    g.named("Add", &[&kept, &off], vec![], "logits");
    // Value head: mean of the valid slots' hidden vectors.
    let ms = g.op("Slice", &["mask", "zero", "minus_one", "axis1"], vec![]);
    let ms3 = g.op("Unsqueeze", &[&ms, "axis2"], vec![]);
    let zm = g.op("Mul", &[&z, &ms3], vec![]);
    let zs = g.op("ReduceSum", &[&zm, "axis1"], vec![int_attr("keepdims", 0)]);
    let cnt = g.op("ReduceSum", &[&ms, "axis1"], vec![int_attr("keepdims", 1)]);
    let cnt = g.op("Max", &[&cnt, "one"], vec![]);
    let inv = g.op("Reciprocal", &[&cnt], vec![]);
    let pooled = g.op("Mul", &[&zs, &inv], vec![]);
    let v1 = g.op("MatMul", &[&h, "w_val_h"], vec![]);
    let v2 = g.op("MatMul", &[&pooled, "w_val_p"], vec![]);
    let v3 = g.op("MatMul", &["continue_features", "w_val_c"], vec![]);
    let v = g.op("Add", &[&v1, &v2], vec![]);
    let v = g.op("Add", &[&v, &v3], vec![]);
    let v = g.op("Add", &[&v, "b_val"], vec![]);
    let v = g.op("Tanh", &[&v], vec![]);
    let v = g.op("MatMul", &[&v, "w_val_out"], vec![]);
    let v = g.op("Add", &[&v, "b_val_out"], vec![]);
    g.named("Squeeze", &[&v, "axis1"], vec![], "value");

    let d = net.dims;
    let (b, k) = (Err("batch"), Err("slots"));
    let graph = GraphProto {
        node: g.nodes,
        name: Some("segue_policy".into()),
        initializer: g.inits,
        doc_string: Some("Segue masked soundtrack policy (see segue_query::policy::onnx)".into()),
        input: vec![
            value_info("context", &[b, Ok(d.context())], "context vector"),
            value_info(
                "slots",
                &[b, k, Ok(SLOT_FEATURES)],
                "candidate slot features",
            ),
            value_info(
                "continue_features",
                &[b, Ok(SLOT_FEATURES)],
                "CONTINUE features",
            ),
            value_info(
                "mask",
                &[b, Err("actions")],
                "1 valid, 0 masked; CONTINUE last",
            ),
        ],
        output: vec![
            value_info(
                "logits",
                &[b, Err("actions")],
                "masked logits (−1e8 where masked)",
            ),
            value_info("value", &[b], "value estimate"),
        ],
    };
    let meta = metadata(d);
    let model = ModelProto {
        ir_version: Some(IR_VERSION),
        producer_name: Some("segue".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        domain: Some("segue.policy".into()),
        model_version: Some(FEATURE_VERSION as i64),
        doc_string: Some("Segue masked soundtrack policy".into()),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        metadata_props: meta
            .into_iter()
            .map(|(k, v)| StringStringEntryProto {
                key: Some(k.into()),
                value: Some(v),
            })
            .collect(),
    };
    model.encode_to_vec()
}

/// Writes the ONNX model of `net` to `path` atomically (temp file, fsync, rename).
pub fn export(net: &PolicyNet<f32>, path: &Path) -> Result<(), TrainError> {
    segue_index::atomic::atomic_write(path, &to_bytes(net)).map_err(|e| TrainError::Export {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
