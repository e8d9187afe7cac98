//! Integration tests of the `segue` facade's own contracts (the end-to-end suite of the
//! program and the facade together is in `cli/tests`).

mod bindings;
mod bridge;
mod readme;
mod text;
