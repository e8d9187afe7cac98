//! Integration tests of `segue-models`: one test binary, one module per topic.

mod audio_reference;
mod errors;
mod synthetic_audio;
mod text_reference;
