//! Properties of the telemetry aggregates (issue 21): histograms add, so merged reports answer the
//! same percentiles as one histogram of all the samples, and those percentiles are the raw
//! samples' within one bucket.

use proptest::prelude::*;

use satchel_core::telemetry::{bucket_bounds, bucket_of, raw_percentile, Histogram};

fn histogram(samples: &[u64]) -> Histogram {
    let mut h = Histogram::default();
    for s in samples {
        h.record(*s);
    }
    h
}

/// Durations as devices see them: mostly short, some long (up to three days).
fn durations() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![0u64..2_000, 0u64..600_000, 0u64..259_200_000], 1..400)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Percentiles of merged per-device aggregates equal those of the raw samples within the
    /// histogram's bucket error: the raw percentile lies in the bucket the merged histogram
    /// names, and the answer is that bucket's upper bound (or the largest sample).
    #[test]
    fn merged_percentiles_equal_raw_within_a_bucket(samples in durations(), cuts in prop::collection::vec(0usize..400, 0..6), p in prop::sample::select(vec![500u32, 900, 950, 990, 1000])) {
        // Split the samples among devices at arbitrary cuts, aggregate each, merge.
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (samples.len() + 1)).collect();
        cuts.sort_unstable();
        let mut merged = Histogram::default();
        let mut start = 0;
        for c in cuts.into_iter().chain([samples.len()]) {
            merged.merge(&histogram(&samples[start..c.max(start)]));
            start = c.max(start);
        }
        let whole = histogram(&samples);
        prop_assert_eq!(&merged, &whole, "merging is adding");
        prop_assert_eq!(merged.count(), samples.len() as u64);

        let raw = raw_percentile(&samples, p).expect("samples");
        let bucket = merged.percentile_bucket(p).expect("samples");
        prop_assert_eq!(bucket, bucket_of(raw), "the raw percentile is in the bucket the histogram names");
        let (above, up_to) = bucket_bounds(bucket);
        let answer = merged.percentile(p).expect("samples");
        prop_assert!(raw > above || bucket == 0);
        prop_assert!(raw <= answer && answer <= up_to, "raw {} ≤ answer {} ≤ bound {}", raw, answer, up_to);
        prop_assert_eq!(answer, up_to.min(*samples.iter().max().expect("samples")));
    }
}
