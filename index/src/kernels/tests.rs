use proptest::prelude::*;

use super::*;

/// The agreed tolerance: relative to |a|·|b| (the largest a dot product can be), plus a floor.
fn tolerance(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    (1e-4 * norm(a) * norm(b) + 1e-6) as f32
}

/// Small integers whose products and sums are exact in f32, so every kernel must agree exactly.
fn exact_inputs(n: usize) -> (Vec<f32>, Vec<f32>, f32) {
    let a: Vec<f32> = (0..n).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 2.0).collect();
    let expected: i64 = (0..n)
        .map(|i| ((i % 7) as i64 - 3) * ((i % 5) as i64 - 2))
        .sum();
    (a, b, expected as f32)
}

#[test]
fn edge_lengths_are_exact_in_every_kernel() {
    for n in [
        0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 384, 512, 1023,
    ] {
        let (a, b, expected) = exact_inputs(n);
        for k in available() {
            assert_eq!(k.dot(&a, &b), expected, "kernel {} length {n}", k.name());
        }
    }
}

#[test]
fn empty_and_single_element() {
    for k in available() {
        assert_eq!(k.dot(&[], &[]), 0.0, "{}", k.name());
        assert_eq!(k.dot(&[2.5], &[-4.0]), -10.0, "{}", k.name());
    }
}

#[test]
fn unequal_lengths_use_the_common_prefix() {
    let a: Vec<f32> = (0..37).map(|i| i as f32).collect();
    let b = vec![1.0f32; 20];
    let expected: f32 = (0..20).map(|i| i as f32).sum();
    for k in available() {
        assert_eq!(k.dot(&a, &b), expected, "{}", k.name());
        assert_eq!(k.dot(&b, &a), expected, "{}", k.name());
    }
}

#[test]
fn the_best_kernel_is_selected_and_scalar_is_last() {
    let all = available();
    assert_eq!(selected().name(), all[0].name());
    assert_eq!(all.last().map(Kernel::name), Some("scalar"));
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        assert_eq!(selected().name(), "avx512f");
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        assert_eq!(selected().name(), "avx2+fma");
    }
}

#[test]
fn normalised_vectors_give_cosine() {
    let a = [0.6f32, 0.8, 0.0];
    let b = [0.0f32, 0.6, 0.8];
    assert!((dot(&a, &b) - 0.48).abs() < 1e-6);
    assert!((dot(&a, &a) - 1.0).abs() < 1e-6);
}

#[test]
fn dot_many_fills_one_score_per_row() {
    let q = [1.0f32, 2.0, 3.0];
    let m = [1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0];
    let mut out = [0.0f32; 3];
    dot_many(&q, &m, 3, &mut out).unwrap();
    assert_eq!(out, [1.0, 2.0, 6.0]);
    let mut none: [f32; 0] = [];
    dot_many(&q, &[], 3, &mut none).unwrap();
}

#[test]
fn dot_many_rejects_bad_shapes() {
    let q = [1.0f32, 2.0];
    let m = [1.0f32; 6];
    let mut out = [0.0f32; 3];
    let err = |r: Result<()>| r.unwrap_err().to_string();
    assert!(err(dot_many(&q, &m, 0, &mut out)).contains("dimension"));
    assert!(err(dot_many(&q, &m, 3, &mut out[..2])).contains("query has 2"));
    assert!(err(dot_many(&[1.0; 4], &m, 4, &mut out)).contains("whole number"));
    assert!(err(dot_many(&q, &m, 2, &mut out[..2])).contains("output holds 2"));
}

#[test]
fn dot_rows_scores_chosen_rows_and_rejects_out_of_range() {
    let q = [1.0f32, 1.0];
    let m = [1.0f32, 0.0, 2.0, 2.0, 0.0, 3.0];
    let mut out = [0.0f32; 2];
    dot_rows(&q, &m, 2, &[2, 0], &mut out).unwrap();
    assert_eq!(out, [3.0, 1.0]);
    let e = dot_rows(&q, &m, 2, &[3, 0], &mut out).unwrap_err();
    assert!(e.to_string().contains("row 3 out of range"), "{e}");
    let e = dot_rows(&q, &m, 2, &[0], &mut out).unwrap_err();
    assert!(e.to_string().contains("output holds 2"), "{e}");
    dot_rows(&q, &m, 2, &[u32::MAX], &mut out[..1]).unwrap_err();
}

fn pair() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
    (0usize..1100, -3i32..4).prop_flat_map(|(n, exp)| {
        // Vary the magnitude too, so the tolerance is exercised relative to |a|·|b|.
        let scale = 10f32.powi(exp);
        let v = prop::collection::vec(-1.0f32..1.0, n)
            .prop_map(move |v| v.into_iter().map(|x| x * scale).collect::<Vec<_>>());
        (v.clone(), prop::collection::vec(-1.0f32..1.0, n))
    })
}

proptest! {
    #[test]
    fn every_kernel_matches_scalar((a, b) in pair()) {
        let want = scalar::dot(&a, &b);
        for k in available() {
            let got = k.dot(&a, &b);
            prop_assert!(
                (got - want).abs() <= tolerance(&a, &b),
                "kernel {} len {}: {got} vs scalar {want}", k.name(), a.len()
            );
        }
    }

    #[test]
    fn dot_many_matches_per_row_scalar(
        dim in 1usize..70,
        rows in 0usize..12,
        seed in prop::collection::vec(-1.0f32..1.0, 70 * 13),
    ) {
        let query = &seed[..dim];
        let matrix = &seed[dim..dim + rows * dim];
        for k in available() {
            let mut out = vec![f32::NAN; rows];
            k.dot_many(query, matrix, dim, &mut out).unwrap();
            for (i, row) in matrix.chunks_exact(dim).enumerate() {
                let want = scalar::dot(query, row);
                prop_assert!((out[i] - want).abs() <= tolerance(query, row), "kernel {}", k.name());
            }
        }
    }
}
