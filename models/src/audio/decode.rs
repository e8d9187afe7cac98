//! Audio files → mono f32 samples, with symphonia (WAV/PCM, FLAC, MP3, OGG Vorbis).

use std::fs::File;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, SeekMode, SeekTo};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::{Time, TimeBase};

use ebur128::{Channel, EbuR128, Mode};

use crate::error::{ModelError, Result};

/// The extensions we decode, for finding audio files in a folder.
pub const AUDIO_EXTENSIONS: [&str; 6] = ["wav", "flac", "mp3", "ogg", "oga", "wave"];

/// Decoded audio, channels averaged to mono (as librosa's `to_mono`).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: u16,
    /// Integrated loudness of the file's own channels (EBU R128), LUFS; `None` for silence or
    /// a stream whose format changes midway.
    pub loudness_lufs: Option<f64>,
}

/// Decoded audio as two channels (for playback: `segue render`).
#[derive(Debug, Clone)]
pub struct Stereo {
    pub left: Vec<f32>,
    pub right: Vec<f32>,
    pub sample_rate: u32,
    /// The file's own channel count.
    pub channels: u16,
}

/// Decodes the first audio track of `path` as mono (channels averaged). A few corrupt packets
/// are skipped (as players do); a file that yields no samples at all is an error.
pub fn decode_file(path: &Path) -> Result<Decoded> {
    let mut mono: Vec<f32> = Vec::new();
    let stream = decode_blocks(path, DecodeOptions::WHOLE, &mut |block, ch, _| {
        let scale = 1.0 / ch as f32;
        mono.extend(
            block
                .chunks_exact(ch)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        );
    })?;
    Ok(Decoded {
        samples: mono,
        sample_rate: stream.sample_rate,
        channels: stream.channels,
        loudness_lufs: stream.loudness_lufs,
    })
}

/// Decodes the first audio track of `path` as stereo: a mono file on both sides; of more
/// channels, front left and right (centre and surrounds mixed in at −3 dB, ITU-R BS.775).
pub fn decode_stereo(path: &Path) -> Result<Stereo> {
    Ok(decode_stereo_range(path, 0.0, f64::INFINITY)?.0)
}

/// [`decode_stereo`] of the part of `path` from `from` to `until` seconds (a render needs
/// only what its clips play): seeks near `from` where the format allows, and stops once
/// `until` is decoded. Returns the audio and the file-rate frame index of its first sample
/// (at or before `from`). No loudness is measured.
pub fn decode_stereo_range(path: &Path, from: f64, until: f64) -> Result<(Stereo, u64)> {
    let (mut left, mut right): (Vec<f32>, Vec<f32>) = (Vec::new(), Vec::new());
    let mut base: Option<u64> = None;
    let opts = DecodeOptions {
        loudness: false,
        from,
        seconds: until,
    };
    let stream = decode_blocks(path, opts, &mut |block, ch, first| {
        let base = *base.get_or_insert(first);
        let at = first.saturating_sub(base) as usize;
        // A packet that could not be decoded leaves a gap of silence; an overlap (which a
        // well-formed stream never has) keeps what came first.
        if at > left.len() {
            left.resize(at, 0.0);
            right.resize(at, 0.0);
        }
        let skip = left.len() - at;
        for f in block.chunks_exact(ch).skip(skip) {
            let (l, r) = stereo_frame(f);
            left.push(l);
            right.push(r);
        }
    })?;
    Ok((
        Stereo {
            left,
            right,
            sample_rate: stream.sample_rate,
            channels: stream.channels,
        },
        // Nothing kept (the range starts past the end): the audio ends where decoding did.
        base.unwrap_or(stream.end_frame),
    ))
}

/// One frame of `f.len()` channels as (left, right): a mono frame on both sides; of more
/// channels, front left and right with centre and surrounds at −3 dB (ITU-R BS.775).
fn stereo_frame(f: &[f32]) -> (f32, f32) {
    const M3DB: f32 = std::f32::consts::FRAC_1_SQRT_2;
    match f.len() {
        1 => (f[0], f[0]),
        2 | 4 => (f[0], f[1]),
        ch => {
            let c = f[2] * M3DB;
            let (ls, rs) = if ch >= 6 { (f[4], f[5]) } else { (0.0, 0.0) };
            (f[0] + c + ls * M3DB, f[1] + c + rs * M3DB)
        }
    }
}

/// What a decode found besides the samples.
struct StreamInfo {
    sample_rate: u32,
    channels: u16,
    loudness_lufs: Option<f64>,
    /// The frame after the last one decoded.
    end_frame: u64,
}

/// What [`decode_blocks`] does besides decoding.
#[derive(Debug, Clone, Copy)]
struct DecodeOptions {
    /// Measure integrated loudness.
    loudness: bool,
    /// Seek to this many seconds first (0: decode from the start).
    from: f64,
    /// Stop after the block that reaches this many seconds.
    seconds: f64,
}

impl DecodeOptions {
    const WHOLE: DecodeOptions = DecodeOptions {
        loudness: true,
        from: 0.0,
        seconds: f64::INFINITY,
    };
}

/// Decodes `path`, handing each block of interleaved samples, its channel count and the frame
/// index of its first sample to `sink`.
fn decode_blocks(
    path: &Path,
    opts: DecodeOptions,
    sink: &mut dyn FnMut(&[f32], usize, u64),
) -> Result<StreamInfo> {
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
    let time_base = track.codec_params.time_base;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| unsupported(format!("codec: {e}")))?;
    // After a seek, blocks are placed by their packets' timestamps; otherwise by counting. The
    // first blocks decoded after a seek are wrong in overlapping transforms (Vorbis, MP3: each
    // needs the packets before; measured on Vorbis: up to two blocks, 2.3k frames), so the
    // seek lands a margin early and the first half second decoded is dropped.
    let seek_to = opts.from - SEEK_MARGIN_S;
    let seeked = seek_to > 0.0 && sample_rate > 0 && {
        let to = SeekTo::Time {
            time: Time::from(seek_to),
            track_id: Some(track_id),
        };
        format.seek(SeekMode::Accurate, to).is_ok()
    };
    let mut warm_up = if seeked {
        (SEEK_MARGIN_S / 2.0 * f64::from(sample_rate)) as usize
    } else {
        0
    };
    if seek_to > 0.0 && !seeked {
        // Not seekable (or the seek failed, leaving the reader anywhere): from the start.
        return decode_blocks(path, DecodeOptions { from: 0.0, ..opts }, sink);
    }
    if seeked {
        decoder.reset();
    }

    let mut frames = 0usize;
    let mut position: Option<u64> = (!seeked).then_some(0);
    let mut skipped_to = 0u64;
    let mut meter = LoudnessMeter::default();
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
                if frames == 0 {
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
        if opts.loudness {
            meter.add(buf.samples(), ch as u32, spec.rate);
        }
        if let Some(i) = buf.samples().iter().position(|x| !x.is_finite()) {
            return Err(decode_err(format!(
                "sample {} is not a finite number",
                frames + i / ch
            )));
        }
        let n = buf.samples().len() / ch;
        frames += n;
        if warm_up > 0 {
            warm_up = warm_up.saturating_sub(n);
            skipped_to = frame_of(packet.ts(), time_base, spec.rate) + n as u64;
            continue;
        }
        // Blocks follow one another; the first kept after a seek takes its place from its
        // packet's timestamp (the warm-up blocks' own timestamps do not match their samples).
        let first = *position.get_or_insert_with(|| frame_of(packet.ts(), time_base, spec.rate));
        position = Some(first + n as u64);
        sink(buf.samples(), ch, first);
        if (first + n as u64) as f64 >= opts.seconds * f64::from(spec.rate) {
            break;
        }
    }
    if frames == 0 {
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
    Ok(StreamInfo {
        sample_rate,
        channels,
        loudness_lufs: meter.finish(),
        end_frame: position.unwrap_or(skipped_to),
    })
}

/// How far before a range's start a seek lands, seconds: room for the dropped first block.
const SEEK_MARGIN_S: f64 = 1.0;

/// The frame index of timestamp `ts` in a track of time base `tb` at `rate` Hz.
fn frame_of(ts: u64, tb: Option<TimeBase>, rate: u32) -> u64 {
    match tb {
        Some(tb) if tb.denom > 0 => {
            (u128::from(ts) * u128::from(tb.numer) * u128::from(rate) / u128::from(tb.denom)) as u64
        }
        _ => ts,
    }
}

/// EBU R128 integrated loudness over interleaved blocks, set up by the first block; a block
/// of another channel count or rate gives up (`None`) rather than measure a mix of formats.
#[derive(Default)]
struct LoudnessMeter {
    meter: Option<EbuR128>,
    failed: bool,
}

impl LoudnessMeter {
    fn add(&mut self, interleaved: &[f32], channels: u32, rate: u32) {
        if self.failed {
            return;
        }
        if self.meter.is_none() {
            self.meter = loudness_meter(channels, rate);
        }
        let ok = self.meter.as_mut().is_some_and(|m| {
            m.channels() == channels && m.rate() == rate && m.add_frames_f32(interleaved).is_ok()
        });
        if !ok {
            self.meter = None;
            self.failed = true;
        }
    }

    fn finish(self) -> Option<f64> {
        self.meter?.loudness_global().ok().filter(|l| l.is_finite())
    }
}

/// A meter for `channels` at `rate`: the BS.1770 channel weights for up to 5.1 (L, R, C, LFE
/// unused, Ls, Rs); a mono file counts as dual mono, since it plays on both speakers.
fn loudness_meter(channels: u32, rate: u32) -> Option<EbuR128> {
    let mut m = EbuR128::new(channels, rate, Mode::I).ok()?;
    if channels == 1 {
        m.set_channel(0, Channel::DualMono).ok()?;
    }
    Some(m)
}

/// Integrated loudness (EBU R128, LUFS) of mono samples at `rate`, counted as dual mono;
/// `None` for silence or an unusable rate.
pub fn mono_loudness_lufs(samples: &[f32], rate: u32) -> Option<f64> {
    let mut meter = LoudnessMeter::default();
    meter.add(samples, 1, rate);
    meter.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 kHz sine at `amplitude` (full scale 1), `seconds` long at 48 kHz.
    fn sine(amplitude: f32, seconds: f32) -> Vec<f32> {
        (0..(48_000.0 * seconds) as usize)
            .map(|i| amplitude * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48_000.0).sin())
            .collect()
    }

    #[test]
    fn loudness_of_a_reference_tone() {
        // EBU Tech 3341, case 1: a 1 kHz sine with −23 dBFS peaks in both stereo channels
        // reads −23 LUFS.
        let peak = 10f32.powf(-23.0 / 20.0);
        let left = sine(peak, 20.0);
        let stereo: Vec<f32> = left.iter().flat_map(|&x| [x, x]).collect();
        let mut meter = LoudnessMeter::default();
        meter.add(&stereo, 2, 48_000);
        let lufs = meter.finish().unwrap();
        assert!((lufs + 23.0).abs() < 0.1, "{lufs}");
        // The same tone in a mono file plays on both speakers: the same loudness.
        let mono = mono_loudness_lufs(&left, 48_000).unwrap();
        assert!((mono - lufs).abs() < 0.05, "{mono} vs {lufs}");
        // 6 dB quieter is 6 LU quieter.
        let quieter = mono_loudness_lufs(&sine(peak / 2.0, 20.0), 48_000).unwrap();
        assert!((lufs - quieter - 6.02).abs() < 0.1, "{quieter}");
    }

    #[test]
    fn silence_and_a_changing_format_have_no_loudness() {
        assert_eq!(mono_loudness_lufs(&vec![0.0; 96_000], 48_000), None);
        let mut meter = LoudnessMeter::default();
        meter.add(&sine(0.1, 1.0), 1, 48_000);
        meter.add(&sine(0.1, 1.0), 2, 48_000);
        assert_eq!(meter.finish(), None);
    }
}
