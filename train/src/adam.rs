//! Adam with global gradient-norm clipping, over the flat parameter vector.

use serde::{Deserialize, Serialize};

/// Adam's moment estimates and step count (part of a checkpoint: resuming without them would
/// not continue the same run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub t: u64,
    pub beta1: f64,
    pub beta2: f64,
    /// 1e-5, as stable-baselines3's PPO (PyTorch's 1e-8 lets steps explode when a gradient
    /// component has been near zero).
    pub eps: f64,
}

impl Adam {
    pub fn new(n: usize) -> Self {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-5,
        }
    }

    /// Scales `grad` so that its L2 norm is at most `max_norm` (if positive); returns the norm
    /// before clipping.
    pub fn clip(grad: &mut [f32], max_norm: f64) -> f64 {
        let norm = grad
            .iter()
            .map(|g| (*g as f64) * (*g as f64))
            .sum::<f64>()
            .sqrt();
        if max_norm > 0.0 && norm > max_norm {
            let s = (max_norm / (norm + 1e-6)) as f32;
            grad.iter_mut().for_each(|g| *g *= s);
        }
        norm
    }

    /// One step of `params −= lr · m̂ / (√v̂ + eps)`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f64) {
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.t.min(i32::MAX as u64) as i32);
        let c2 = 1.0 - b2.powi(self.t.min(i32::MAX as u64) as i32);
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            let g = *g as f64;
            let mn = b1 * *m as f64 + (1.0 - b1) * g;
            let vn = b2 * *v as f64 + (1.0 - b2) * g * g;
            *m = mn as f32;
            *v = vn as f32;
            let update = lr * (mn / c1) / ((vn / c2).sqrt() + self.eps);
            *p = (*p as f64 - update) as f32;
        }
    }
}
