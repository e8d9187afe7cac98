//! Audio files → mono f32 samples, with symphonia (WAV/PCM, FLAC, MP3, OGG Vorbis).

use std::fs::File;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::{ModelError, Result};

/// The extensions we decode, for finding audio files in a folder.
pub const AUDIO_EXTENSIONS: [&str; 6] = ["wav", "flac", "mp3", "ogg", "oga", "wave"];

/// Decoded audio, channels averaged to mono (as librosa's `to_mono`).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Decodes the first audio track of `path`. A few corrupt packets are skipped (as players do);
/// a file that yields no samples at all is an error.
pub fn decode_file(path: &Path) -> Result<Decoded> {
    let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let decode_err = |reason: String| ModelError::AudioDecode {
        path: path.to_path_buf(),
        reason,
    };
    let unsupported = |reason: String| ModelError::AudioUnsupported {
        path: path.to_path_buf(),
        reason,
    };
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(what) => unsupported(format!(
                "not a WAV, FLAC, MP3 or OGG file we can read ({what})"
            )),
            SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                decode_err("the file ends before its header does (truncated or empty)".into())
            }
            other => decode_err(other.to_string()),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| unsupported("no audio track".into()))?;
    let track_id = track.id;
    let mut sample_rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut channels = track.codec_params.channels.map_or(0, |c| c.count() as u16);
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| unsupported(format!("codec: {e}")))?;

    let mut mono: Vec<f32> = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let mut bad_packets = 0u64;
    let mut last_error = String::new();
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            // The normal end of a stream, and the end of a truncated one.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => {
                if mono.is_empty() {
                    return Err(decode_err(e.to_string()));
                }
                // Trailing garbage after good audio: keep what decoded.
                break;
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymphoniaError::DecodeError(e)) => {
                bad_packets += 1;
                last_error = e.to_string();
                continue;
            }
            Err(SymphoniaError::IoError(e)) => {
                bad_packets += 1;
                last_error = e.to_string();
                continue;
            }
            Err(e) => return Err(decode_err(e.to_string())),
        };
        let spec = *decoded.spec();
        sample_rate = spec.rate;
        let ch = spec.channels.count().max(1);
        channels = ch as u16;
        let needed = decoded.capacity() * ch;
        if buffer.as_ref().is_none_or(|b| b.capacity() < needed) {
            buffer = Some(SampleBuffer::new(decoded.capacity() as u64, spec));
        }
        let buf = buffer.as_mut().expect("allocated above");
        buf.copy_interleaved_ref(decoded);
        let scale = 1.0 / ch as f32;
        mono.extend(
            buf.samples()
                .chunks_exact(ch)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        );
    }
    if mono.is_empty() {
        if bad_packets > 0 {
            return Err(decode_err(format!(
                "{bad_packets} packets could not be decoded, none could ({last_error})"
            )));
        }
        return Err(ModelError::AudioEmpty {
            path: path.to_path_buf(),
        });
    }
    if sample_rate == 0 {
        return Err(decode_err("the stream has no sample rate".into()));
    }
    if let Some(i) = mono.iter().position(|x| !x.is_finite()) {
        return Err(decode_err(format!("sample {i} is not a finite number")));
    }
    Ok(Decoded {
        samples: mono,
        sample_rate,
        channels,
    })
}
