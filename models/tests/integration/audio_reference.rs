//! The musicnn front end and model against the reference clip's recorded outputs.

use segue_models::audio::decode::decode_file;
use segue_models::audio::frontend::{FrontEnd, N_MELS};
use segue_models::audio::musicnn::{MTT_LABELS, Musicnn, PATCH_FRAMES, patches};
use segue_models::find_model_dir;
use serde_json::Value;

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn reference_clip_log_mel_tags_and_embedding_match_within_1e_3() {
    let dir = find_model_dir(None, "musicnn").unwrap();
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let clip = decode_file(&dir.join("reference_clip_16k.wav")).unwrap();
    assert_eq!(clip.sample_rate, 16_000);

    let spec = FrontEnd::new().spectrogram(&clip.samples);
    assert_eq!(spec.frames as u64, r["n_frames_total"].as_u64().unwrap());
    let log_mel = spec.log_mel();
    for key in ["frame0", "frame100"] {
        let t: usize = key.trim_start_matches("frame").parse().unwrap();
        let want = floats(&r[format!("logmel_first_patch_{key}")]);
        let got = &log_mel[t * N_MELS..(t + 1) * N_MELS];
        let d = max_abs_diff(got, &want);
        assert!(d < 1e-3, "log-mel {key}: max abs diff {d}");
    }
    let patch = &log_mel[..PATCH_FRAMES * N_MELS];
    let sum: f64 = patch.iter().map(|&x| f64::from(x)).sum();
    let want_sum = r["logmel_first_patch_sum"].as_f64().unwrap();
    assert!(
        (sum - want_sum).abs() / want_sum < 1e-5,
        "sum {sum} vs {want_sum}"
    );

    let m = &r["models"]["MTT_musicnn"];
    let labels: Vec<&str> = m["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(labels, MTT_LABELS);
    let (p, n) = patches(&log_mel, spec.frames);
    assert_eq!(n, 1);
    let model = Musicnn::load(None, 1, 1).unwrap();
    let out = model.infer(&p, n).unwrap();
    let d_tags = max_abs_diff(&out.tags, &floats(&m["tags"]));
    let d_emb = max_abs_diff(&out.penultimate, &floats(&m["penultimate"]));
    assert!(d_tags < 1e-3, "tags: max abs diff {d_tags}");
    assert!(d_emb < 1e-3, "penultimate: max abs diff {d_emb}");
}

#[test]
fn analysing_the_reference_clip_gives_its_embedding_and_tags() {
    let dir = find_model_dir(None, "musicnn").unwrap();
    let analyzer = segue_models::AudioAnalyzer::load(&segue_models::AudioAnalyzerOptions {
        threads: 1,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        analyzer.embedding_id().as_deref(),
        Some("musicnn-MTT/penultimate-mean")
    );
    let f = analyzer
        .analyze(&dir.join("reference_clip_16k.wav"))
        .unwrap();
    assert!((f.duration_s - 3.5).abs() < 0.01, "{}", f.duration_s);
    assert_eq!(f.embedding.as_ref().unwrap().len(), 200);
    assert_eq!(f.top_tags.len(), 5);
    assert!(f.top_tags.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(f.mfcc.iter().all(|x| x.is_finite()));
}
