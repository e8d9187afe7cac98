//! Writing a mix: 16-bit PCM in WAV or FLAC, with TPDF dither, atomically (a temp file renamed
//! into place, so a half-written file is never seen).

use std::path::Path;

use flacenc::component::BitRepr;
use flacenc::error::Verify;
use segue_models::audio::wav::pcm16_wav;

use crate::error::{RenderError, Result};
use crate::mixer::Mix;

/// The container of an output file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Wav,
    Flac,
}

impl OutputFormat {
    pub fn of(path: &Path) -> Result<OutputFormat> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("wav") => Ok(OutputFormat::Wav),
            Some("flac") => Ok(OutputFormat::Flac),
            _ => Err(RenderError::UnsupportedOutput {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Writes `mix` to `path` (`.wav` or `.flac`).
pub fn write(mix: &Mix, path: &Path) -> Result<()> {
    let format = OutputFormat::of(path)?;
    let samples = to_i16_dithered(mix);
    let fail = |reason: String| RenderError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = match format {
        OutputFormat::Wav => {
            pcm16_wav(&samples, 2, mix.sample_rate).map_err(|e| fail(e.to_string()))?
        }
        OutputFormat::Flac => flac_bytes(&samples, mix.sample_rate).map_err(fail)?,
    };
    segue_index::atomic::atomic_write(path, &bytes).map_err(|e| fail(e.to_string()))
}

/// Interleaved 16-bit samples with triangular (TPDF) dither of ±1 LSB, from a fixed seed so a
/// render is reproducible.
pub fn to_i16_dithered(mix: &Mix) -> Vec<i16> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        // xorshift64*: plenty for dither.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut out = Vec::with_capacity(mix.frames() * 2);
    for (l, r) in mix.left.iter().zip(&mix.right) {
        for x in [*l, *r] {
            let d = uniform() - uniform();
            let v = (x * 32767.0 + d).round().clamp(-32768.0, 32767.0);
            out.push(v as i16);
        }
    }
    out
}

fn flac_bytes(samples: &[i16], rate: u32) -> Result<Vec<u8>, String> {
    let wide: Vec<i32> = samples.iter().map(|&s| i32::from(s)).collect();
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|e| format!("FLAC encoder configuration: {e:?}"))?;
    let source = flacenc::source::MemSource::from_samples(&wide, 2, 16, rate as usize);
    let mut stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| format!("FLAC encoding: {e:?}"))?;
    // The format's minimum block size excludes the last, shorter block; the encoder counts it,
    // which makes a fixed-block stream look variable-block to decoders (symphonia refuses it).
    let info = stream.stream_info_mut();
    let max = info.max_block_size();
    info.set_block_sizes(max, max)
        .map_err(|e| format!("FLAC stream info: {e:?}"))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| format!("FLAC encoding: {e:?}"))?;
    Ok(sink.as_slice().to_vec())
}
