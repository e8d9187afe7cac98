//! Integration tests of the `segue` facade and command-line program.

mod analyze;
mod cli;
mod demo;
mod helpers;
mod plan_rules;
mod policy;
mod readme;
mod real_audio;
mod safety;
mod search;
mod segment;
mod soundtrack;
