//! 16-bit PCM WAV, written: the container the renderer writes mixes in and the tests and
//! benchmarks write their synthetic signals in (reading goes through symphonia, [`super::decode`]).

use std::io;
use std::path::Path;

/// Bytes of a canonical WAV header: RIFF, a 16-byte `fmt ` chunk and the `data` chunk's header.
const HEADER_BYTES: usize = 44;

/// A sample in [-1, 1] as 16-bit PCM (clamped, truncated toward zero; no dither).
pub fn pcm16(x: f32) -> i16 {
    (x.clamp(-1.0, 1.0) * 32_767.0) as i16
}

/// A WAV file's bytes holding `interleaved` samples of `channels` channels at `sample_rate`.
/// An error (`InvalidInput`) when there are no channels, the samples do not fill whole frames,
/// or the data does not fit a RIFF file's 32-bit sizes (4 GiB: 6.7 hours of 44.1 kHz stereo).
pub fn pcm16_wav(interleaved: &[i16], channels: u16, sample_rate: u32) -> io::Result<Vec<u8>> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    if channels == 0 || !interleaved.len().is_multiple_of(usize::from(channels)) {
        return Err(invalid(format!(
            "{} samples are not whole frames of {channels} channel(s)",
            interleaved.len()
        )));
    }
    let data_bytes = u32::try_from(interleaved.len() * 2)
        .ok()
        .filter(|&n| n <= u32::MAX - (HEADER_BYTES as u32 - 8))
        .ok_or_else(|| {
            invalid(format!(
                "{} samples do not fit a WAV file",
                interleaved.len()
            ))
        })?;
    let block_align = 2 * channels;
    let mut b = Vec::with_capacity(HEADER_BYTES + data_bytes as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(HEADER_BYTES as u32 - 8 + data_bytes).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // integer PCM
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&sample_rate.to_le_bytes());
    b.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    b.extend_from_slice(&block_align.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_bytes.to_le_bytes());
    for s in interleaved {
        b.extend_from_slice(&s.to_le_bytes());
    }
    Ok(b)
}

/// Writes `interleaved` samples in [-1, 1] ([`pcm16`]) to `path` as a WAV file (not atomically:
/// for test signals and benchmark clips; the renderer writes its mixes through a rename).
pub fn write_pcm16_wav(
    path: &Path,
    interleaved: &[f32],
    channels: u16,
    sample_rate: u32,
) -> io::Result<()> {
    let samples: Vec<i16> = interleaved.iter().map(|&x| pcm16(x)).collect();
    std::fs::write(path, pcm16_wav(&samples, channels, sample_rate)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::decode;

    #[test]
    fn a_written_file_decodes_to_its_samples() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stereo.wav");
        // Left a ramp, right its negative: a swapped channel order would show.
        let frames = 1000;
        let interleaved: Vec<f32> = (0..frames)
            .flat_map(|i| {
                let x = i as f32 / frames as f32 - 0.5;
                [x, -x]
            })
            .collect();
        write_pcm16_wav(&path, &interleaved, 2, 22_050).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), HEADER_BYTES + frames * 4);
        let decoded = decode::decode_stereo(&path).unwrap();
        assert_eq!(decoded.sample_rate, 22_050);
        assert_eq!(decoded.left.len(), frames);
        for (i, (l, r)) in decoded.left.iter().zip(&decoded.right).enumerate() {
            let want = f32::from(pcm16(interleaved[2 * i])) / 32_768.0;
            assert!((l - want).abs() < 1e-4, "frame {i}: left {l}, want {want}");
            assert!(
                (r + want).abs() < 2e-4,
                "frame {i}: right {r}, want {}",
                -want
            );
        }
    }

    #[test]
    fn samples_that_are_not_whole_frames_are_refused() {
        let e = pcm16_wav(&[0, 1, 2], 2, 44_100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("3 samples"), "{e}");
        assert!(pcm16_wav(&[0, 1], 0, 44_100).is_err());
    }

    #[test]
    fn out_of_range_samples_clamp() {
        assert_eq!(pcm16(2.0), 32_767);
        assert_eq!(pcm16(-2.0), -32_767);
        assert_eq!(pcm16(0.0), 0);
    }
}
