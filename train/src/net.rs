//! The policy network: forward pass and hand-written backward pass.
//!
//! ```text
//! h      = tanh(context · W_ctx + b_ctx)                                  [H]
//! z_k    = tanh(slot_k · W_slot_f + h · W_slot_h + b_slot)                 [S] per slot
//! l_k    = z_k · w_slot_out + slot_k · w_slot_lin + b_slot_out             slot logits
//! z_c    = tanh(cont · W_cont_f + h · W_cont_h + b_cont)                   [S]
//! l_c    = z_c · w_cont_out + cont · w_cont_lin + b_cont_out               CONTINUE logit
//! p      = Σ_k m_k z_k / max(Σ_k m_k, 1)                                   pooled valid slots
//! z_v    = tanh(h · W_val_h + p · W_val_p + cont · W_val_c + b_val)        [S]
//! value  = z_v · w_val_out + b_val_out
//! logits = l · m + (m − 1) · 1e8                                           masked, [K + 1]
//! ```
//!
//! The slot scorer is one set of weights applied to every slot, so the policy does not depend
//! on slot order or on K. The linear terms (`w_*_lin`) let the policy weigh a feature such as
//! the step reward directly, which an MLP of small initial weights learns slowly.
//!
//! Gradients are derived by hand (no autodiff crate: the network is small and fixed, and the
//! finite-difference test in `net/tests.rs` checks every parameter tensor in f64). All
//! parameters live in one flat vector ([`Layout`]) so that Adam, checkpoints and the export
//! walk them uniformly.

use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::scalar::Scalar;
use segue_query::policy::obs::{ObsDims, SLOT_FEATURES};

pub use segue_query::policy::MASKED_LOGIT;

/// Hidden sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Context encoder width H.
    pub hidden: usize,
    /// Width S of the slot scorer, the CONTINUE head and the value head.
    pub head_hidden: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            hidden: 32,
            head_hidden: 32,
        }
    }
}

/// The parameter tensors, in storage order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    WCtx,
    BCtx,
    WSlotF,
    WSlotH,
    BSlot,
    WSlotOut,
    WSlotLin,
    BSlotOut,
    WContF,
    WContH,
    BCont,
    WContOut,
    WContLin,
    BContOut,
    WValH,
    WValP,
    WValC,
    BVal,
    WValOut,
    BValOut,
}

impl Param {
    pub const ALL: [Param; 20] = [
        Param::WCtx,
        Param::BCtx,
        Param::WSlotF,
        Param::WSlotH,
        Param::BSlot,
        Param::WSlotOut,
        Param::WSlotLin,
        Param::BSlotOut,
        Param::WContF,
        Param::WContH,
        Param::BCont,
        Param::WContOut,
        Param::WContLin,
        Param::BContOut,
        Param::WValH,
        Param::WValP,
        Param::WValC,
        Param::BVal,
        Param::WValOut,
        Param::BValOut,
    ];

    /// Name (also the ONNX initializer name).
    pub fn name(self) -> &'static str {
        match self {
            Param::WCtx => "w_ctx",
            Param::BCtx => "b_ctx",
            Param::WSlotF => "w_slot_f",
            Param::WSlotH => "w_slot_h",
            Param::BSlot => "b_slot",
            Param::WSlotOut => "w_slot_out",
            Param::WSlotLin => "w_slot_lin",
            Param::BSlotOut => "b_slot_out",
            Param::WContF => "w_cont_f",
            Param::WContH => "w_cont_h",
            Param::BCont => "b_cont",
            Param::WContOut => "w_cont_out",
            Param::WContLin => "w_cont_lin",
            Param::BContOut => "b_cont_out",
            Param::WValH => "w_val_h",
            Param::WValP => "w_val_p",
            Param::WValC => "w_val_c",
            Param::BVal => "b_val",
            Param::WValOut => "w_val_out",
            Param::BValOut => "b_val_out",
        }
    }
}

/// Shapes and offsets of the parameter tensors in the flat vector. Matrices are row-major
/// `[inputs, outputs]` (ONNX `MatMul`'s right operand); output vectors are `[S, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub context: usize,
    pub features: usize,
    pub hidden: usize,
    pub head: usize,
}

impl Layout {
    pub fn new(dims: ObsDims, config: NetConfig) -> Self {
        Layout {
            context: dims.context(),
            features: SLOT_FEATURES,
            hidden: config.hidden,
            head: config.head_hidden,
        }
    }

    pub fn shape(&self, p: Param) -> [usize; 2] {
        let (c, f, h, s) = (self.context, self.features, self.hidden, self.head);
        match p {
            Param::WCtx => [c, h],
            Param::BCtx => [1, h],
            Param::WSlotF | Param::WContF | Param::WValC => [f, s],
            Param::WSlotH | Param::WContH | Param::WValH => [h, s],
            Param::WValP => [s, s],
            Param::BSlot | Param::BCont | Param::BVal => [1, s],
            Param::WSlotOut | Param::WContOut | Param::WValOut => [s, 1],
            Param::WSlotLin | Param::WContLin => [f, 1],
            Param::BSlotOut | Param::BContOut | Param::BValOut => [1, 1],
        }
    }

    pub fn len_of(&self, p: Param) -> usize {
        let [a, b] = self.shape(p);
        a * b
    }

    pub fn offset(&self, p: Param) -> usize {
        Param::ALL
            .iter()
            .take_while(|q| **q != p)
            .map(|q| self.len_of(*q))
            .sum()
    }

    /// Total number of parameters.
    pub fn total(&self) -> usize {
        Param::ALL.iter().map(|p| self.len_of(*p)).sum()
    }
}

/// Network parameters (or gradients of the same shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params<T> {
    pub layout: Layout,
    pub data: Vec<T>,
    offsets: Vec<usize>,
}

impl<T: Scalar> Params<T> {
    pub fn zeros(layout: Layout) -> Self {
        let offsets = Param::ALL.iter().map(|p| layout.offset(*p)).collect();
        Params {
            layout,
            data: vec![T::ZERO; layout.total()],
            offsets,
        }
    }

    fn index(p: Param) -> usize {
        Param::ALL
            .iter()
            .position(|q| *q == p)
            .expect("every Param is in ALL")
    }

    pub fn get(&self, p: Param) -> &[T] {
        let o = self.offsets[Self::index(p)];
        &self.data[o..o + self.layout.len_of(p)]
    }

    pub fn get_mut(&mut self, p: Param) -> &mut [T] {
        let o = self.offsets[Self::index(p)];
        let n = self.layout.len_of(p);
        &mut self.data[o..o + n]
    }

    /// The same parameters in another float type.
    pub fn cast<U: Scalar>(&self) -> Params<U> {
        Params {
            layout: self.layout,
            data: self.data.iter().map(|x| U::from_f64(x.to_f64())).collect(),
            offsets: self.offsets.clone(),
        }
    }

    pub fn fill_zero(&mut self) {
        self.data.fill(T::ZERO);
    }
}

/// `y[j] += Σ_i x[i] · w[i, j]` for a row-major `[x.len(), y.len()]` matrix.
#[inline]
fn matvec_acc<T: Scalar>(x: &[T], w: &[T], y: &mut [T]) {
    let n = y.len();
    for (i, xi) in x.iter().enumerate() {
        let row = &w[i * n..(i + 1) * n];
        for (yj, wj) in y.iter_mut().zip(row) {
            *yj += *xi * *wj;
        }
    }
}

/// `dw[i, j] += x[i] · d[j]` and, when `dx` is given, `dx[i] += Σ_j w[i, j] · d[j]`.
#[inline]
fn matvec_back<T: Scalar>(x: &[T], w: &[T], d: &[T], dw: &mut [T], dx: Option<&mut [T]>) {
    let n = d.len();
    for (i, xi) in x.iter().enumerate() {
        let row = &mut dw[i * n..(i + 1) * n];
        for (g, dj) in row.iter_mut().zip(d) {
            *g += *xi * *dj;
        }
    }
    if let Some(dx) = dx {
        for (i, g) in dx.iter_mut().enumerate() {
            let row = &w[i * n..(i + 1) * n];
            let mut s = T::ZERO;
            for (wj, dj) in row.iter().zip(d) {
                s += *wj * *dj;
            }
            *g += s;
        }
    }
}

fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut s = T::ZERO;
    for (x, y) in a.iter().zip(b) {
        s += *x * *y;
    }
    s
}

fn tanh_in_place<T: Scalar>(v: &mut [T]) {
    v.iter_mut().for_each(|x| *x = x.tanh());
}

/// One observation's inputs, borrowed (the layout of [`segue_query::policy::obs::Observation`]).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a, T> {
    pub context: &'a [T],
    /// `[K × F]`.
    pub slots: &'a [T],
    pub continue_features: &'a [T],
    /// `[K + 1]`, 1 valid / 0 masked.
    pub mask: &'a [T],
}

/// What the forward pass keeps for the backward pass, and its outputs. Reused across calls.
#[derive(Debug, Clone, Default)]
pub struct Forward<T> {
    pub h: Vec<T>,
    /// `[K × S]`.
    pub z: Vec<T>,
    pub zc: Vec<T>,
    pub pooled: Vec<T>,
    pub zv: Vec<T>,
    pub count: T,
    /// Masked logits `[K + 1]`.
    pub logits: Vec<T>,
    pub value: T,
    sh: Vec<T>,
}

/// Gradient scratch space, reused across calls.
#[derive(Debug, Clone, Default)]
pub struct Backward<T> {
    dh: Vec<T>,
    dz: Vec<T>,
    dsh: Vec<T>,
    dpre: Vec<T>,
    dpooled: Vec<T>,
    dhpre: Vec<T>,
}

/// The policy network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyNet<T> {
    pub dims: ObsDims,
    pub config: NetConfig,
    pub params: Params<T>,
}

impl<T: Scalar> PolicyNet<T> {
    /// A network with every parameter zero (see [`PolicyNet::init`]).
    pub fn new(dims: ObsDims, config: NetConfig) -> Result<Self, TrainError> {
        if config.hidden == 0 || config.head_hidden == 0 {
            return Err(TrainError::Config(
                "the policy network's hidden sizes must be positive".into(),
            ));
        }
        let layout = Layout::new(dims, config);
        Ok(PolicyNet {
            dims,
            config,
            params: Params::zeros(layout),
        })
    }

    pub fn layout(&self) -> Layout {
        self.params.layout
    }

    /// Draws the weights: hidden matrices uniform in ±1/√fan_in; the output layers a tenth of
    /// that, so the first policy is close to uniform over the valid actions and the first
    /// value close to 0; biases and the linear feature terms 0.
    pub fn init(&mut self, rng: &mut impl rand::Rng) {
        let l = self.params.layout;
        for p in Param::ALL {
            let [fan_in, _] = l.shape(p);
            let scale = match p {
                Param::WCtx
                | Param::WSlotF
                | Param::WSlotH
                | Param::WContF
                | Param::WContH
                | Param::WValH
                | Param::WValP
                | Param::WValC => 1.0,
                Param::WSlotOut | Param::WContOut | Param::WValOut => 0.1,
                _ => 0.0,
            };
            // Fan-in of the whole pre-activation, where several matrices feed one layer.
            let fan_in = match p {
                Param::WSlotF | Param::WSlotH | Param::WContF | Param::WContH => {
                    l.features + l.hidden
                }
                Param::WValH | Param::WValP | Param::WValC => l.hidden + l.head + l.features,
                _ => fan_in,
            };
            let bound = scale / (fan_in as f64).sqrt();
            for x in self.params.get_mut(p) {
                *x = if bound > 0.0 {
                    T::from_f64(rng.random_range(-bound..bound))
                } else {
                    T::ZERO
                };
            }
        }
    }

    /// Sets the linear weight of the `step_reward` feature (slot feature 0) in both the slot
    /// scorer and the CONTINUE head to `w`: the policy then starts as a softmax over the
    /// objective's immediate rewards at temperature `1 / w`, greedy under argmax, and PPO
    /// learns where looking ahead pays more. Both heads get the same weight so that a new
    /// track and CONTINUE are compared on one scale from the first update.
    pub fn set_step_reward_prior(&mut self, w: f64) {
        debug_assert_eq!(
            segue_query::policy::obs::SLOT_FEATURE_NAMES[0],
            "step_reward"
        );
        for p in [Param::WSlotLin, Param::WContLin] {
            self.params.get_mut(p)[0] = T::from_f64(w);
        }
    }

    /// Forward pass over one observation. `inp` must match the network's dims.
    pub fn forward(&self, inp: Input<'_, T>, f: &mut Forward<T>) {
        let l = self.params.layout;
        let p = &self.params;
        let (h_n, s_n, k, feat) = (l.hidden, l.head, self.dims.slots, l.features);
        debug_assert_eq!(inp.context.len(), l.context);
        debug_assert_eq!(inp.slots.len(), k * feat);
        debug_assert_eq!(inp.mask.len(), k + 1);
        let resize = |v: &mut Vec<T>, n: usize| {
            v.clear();
            v.resize(n, T::ZERO);
        };

        // Context encoder.
        resize(&mut f.h, h_n);
        f.h.copy_from_slice(p.get(Param::BCtx));
        matvec_acc(inp.context, p.get(Param::WCtx), &mut f.h);
        tanh_in_place(&mut f.h);

        // Slot scorer, shared across slots: the context part is computed once.
        resize(&mut f.sh, s_n);
        matvec_acc(&f.h, p.get(Param::WSlotH), &mut f.sh);
        resize(&mut f.z, k * s_n);
        resize(&mut f.logits, k + 1);
        let (w_out, w_lin) = (p.get(Param::WSlotOut), p.get(Param::WSlotLin));
        let b_out = p.get(Param::BSlotOut)[0];
        for j in 0..k {
            let s = &inp.slots[j * feat..(j + 1) * feat];
            let z = &mut f.z[j * s_n..(j + 1) * s_n];
            matvec_acc(s, p.get(Param::WSlotF), z);
            for ((zi, shi), bi) in z.iter_mut().zip(&f.sh).zip(p.get(Param::BSlot)) {
                *zi = (*zi + *shi + *bi).tanh();
            }
            f.logits[j] = dot(z, w_out) + dot(s, w_lin) + b_out;
        }

        // CONTINUE head.
        let c = inp.continue_features;
        resize(&mut f.zc, s_n);
        matvec_acc(c, p.get(Param::WContF), &mut f.zc);
        matvec_acc(&f.h, p.get(Param::WContH), &mut f.zc);
        for (zi, bi) in f.zc.iter_mut().zip(p.get(Param::BCont)) {
            *zi = (*zi + *bi).tanh();
        }
        f.logits[k] = dot(&f.zc, p.get(Param::WContOut))
            + dot(c, p.get(Param::WContLin))
            + p.get(Param::BContOut)[0];

        // Value head over the context, the valid slots' mean and the CONTINUE row.
        resize(&mut f.pooled, s_n);
        let mut count = T::ZERO;
        for j in 0..k {
            let m = inp.mask[j];
            count += m;
            for (pi, zi) in f.pooled.iter_mut().zip(&f.z[j * s_n..(j + 1) * s_n]) {
                *pi += *zi * m;
            }
        }
        f.count = count.max(T::ONE);
        let inv = T::ONE / f.count;
        f.pooled.iter_mut().for_each(|x| *x *= inv);
        resize(&mut f.zv, s_n);
        matvec_acc(&f.h, p.get(Param::WValH), &mut f.zv);
        matvec_acc(&f.pooled, p.get(Param::WValP), &mut f.zv);
        matvec_acc(c, p.get(Param::WValC), &mut f.zv);
        for (zi, bi) in f.zv.iter_mut().zip(p.get(Param::BVal)) {
            *zi = (*zi + *bi).tanh();
        }
        f.value = dot(&f.zv, p.get(Param::WValOut)) + p.get(Param::BValOut)[0];

        // Mask, written as the exported graph computes it.
        let big = T::from_f64(-(MASKED_LOGIT as f64));
        for (x, m) in f.logits.iter_mut().zip(inp.mask) {
            *x = *x * *m + (*m - T::ONE) * big;
        }
    }

    /// Accumulates into `grad` the gradient of a loss whose derivatives with respect to the
    /// masked logits and the value are `dlogits` and `dvalue`, at the point `f` of the last
    /// `forward(inp, f)`.
    pub fn backward(
        &self,
        inp: Input<'_, T>,
        f: &Forward<T>,
        dlogits: &[T],
        dvalue: T,
        grad: &mut Params<T>,
        b: &mut Backward<T>,
    ) {
        let l = self.params.layout;
        let p = &self.params;
        let (h_n, s_n, k, feat) = (l.hidden, l.head, self.dims.slots, l.features);
        let c = inp.continue_features;
        for (v, n) in [
            (&mut b.dh, h_n),
            (&mut b.dz, k * s_n),
            (&mut b.dsh, s_n),
            (&mut b.dpre, s_n),
            (&mut b.dpooled, s_n),
            (&mut b.dhpre, h_n),
        ] {
            v.clear();
            v.resize(n, T::ZERO);
        }
        // d(pre-activation) of a tanh layer from d(output) `scale · w`.
        let tanh_back = |dpre: &mut [T], z: &[T], w: &[T], scale: T| {
            for ((d, zi), wi) in dpre.iter_mut().zip(z).zip(w) {
                *d = *wi * scale * (T::ONE - *zi * *zi);
            }
        };

        // Value head.
        grad.get_mut(Param::BValOut)[0] += dvalue;
        add_scaled(grad.get_mut(Param::WValOut), &f.zv, dvalue);
        tanh_back(&mut b.dpre, &f.zv, p.get(Param::WValOut), dvalue);
        add_to(grad.get_mut(Param::BVal), &b.dpre);
        matvec_back(
            &f.h,
            p.get(Param::WValH),
            &b.dpre,
            grad.get_mut(Param::WValH),
            Some(&mut b.dh),
        );
        matvec_back(
            &f.pooled,
            p.get(Param::WValP),
            &b.dpre,
            grad.get_mut(Param::WValP),
            Some(&mut b.dpooled),
        );
        matvec_back(
            c,
            p.get(Param::WValC),
            &b.dpre,
            grad.get_mut(Param::WValC),
            None,
        );
        let inv = T::ONE / f.count;
        for j in 0..k {
            let m = inp.mask[j] * inv;
            for (d, g) in b.dz[j * s_n..(j + 1) * s_n].iter_mut().zip(&b.dpooled) {
                *d += *g * m;
            }
        }

        // CONTINUE head (a masked logit does not depend on the parameters).
        let dlc = dlogits[k] * inp.mask[k];
        grad.get_mut(Param::BContOut)[0] += dlc;
        add_scaled(grad.get_mut(Param::WContOut), &f.zc, dlc);
        add_scaled(grad.get_mut(Param::WContLin), c, dlc);
        tanh_back(&mut b.dpre, &f.zc, p.get(Param::WContOut), dlc);
        add_to(grad.get_mut(Param::BCont), &b.dpre);
        matvec_back(
            c,
            p.get(Param::WContF),
            &b.dpre,
            grad.get_mut(Param::WContF),
            None,
        );
        matvec_back(
            &f.h,
            p.get(Param::WContH),
            &b.dpre,
            grad.get_mut(Param::WContH),
            Some(&mut b.dh),
        );

        // Slot scorer.
        let w_out = p.get(Param::WSlotOut);
        for (j, (dlj, mj)) in dlogits[..k].iter().zip(&inp.mask[..k]).enumerate() {
            let dl = *dlj * *mj;
            let s = &inp.slots[j * feat..(j + 1) * feat];
            let z = &f.z[j * s_n..(j + 1) * s_n];
            grad.get_mut(Param::BSlotOut)[0] += dl;
            add_scaled(grad.get_mut(Param::WSlotOut), z, dl);
            add_scaled(grad.get_mut(Param::WSlotLin), s, dl);
            let dz = &mut b.dz[j * s_n..(j + 1) * s_n];
            for (((d, g), w), zi) in b.dpre.iter_mut().zip(dz.iter_mut()).zip(w_out).zip(z) {
                *g += *w * dl;
                *d = *g * (T::ONE - *zi * *zi);
            }
            add_to(grad.get_mut(Param::BSlot), &b.dpre);
            add_to(&mut b.dsh, &b.dpre);
            matvec_back(
                s,
                p.get(Param::WSlotF),
                &b.dpre,
                grad.get_mut(Param::WSlotF),
                None,
            );
        }
        matvec_back(
            &f.h,
            p.get(Param::WSlotH),
            &b.dsh,
            grad.get_mut(Param::WSlotH),
            Some(&mut b.dh),
        );

        // Context encoder.
        for ((d, g), hi) in b.dhpre.iter_mut().zip(&b.dh).zip(&f.h) {
            *d = *g * (T::ONE - *hi * *hi);
        }
        add_to(grad.get_mut(Param::BCtx), &b.dhpre);
        matvec_back(
            inp.context,
            p.get(Param::WCtx),
            &b.dhpre,
            grad.get_mut(Param::WCtx),
            None,
        );
    }
}

fn add_to<T: Scalar>(dst: &mut [T], src: &[T]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d += *s);
}

fn add_scaled<T: Scalar>(dst: &mut [T], src: &[T], a: T) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d += *s * a);
}

#[cfg(test)]
mod tests;
