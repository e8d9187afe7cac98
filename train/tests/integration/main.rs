//! Integration tests of `segue-train`: masks in training rollouts and inference (including the
//! edge cases of CONTINUE alone and one slot without CONTINUE), the ONNX export's equivalence
//! with the trainer's forward pass, seeded determinism, checkpoint/resume, logs, and a short
//! training run that beats the random policy.

mod masks;
mod onnx;
mod training;
mod world;
