import Foundation

extension Calibration {
    /// The calibration that ships for the default pair, so `tandem generate` offloads by a
    /// calibrated threshold without a `--profile`. Made with `tandem profile --dataset
    /// HumanEval.jsonl --split dev --max-tokens 512 --features F`, then `tandem profile
    /// --from-features F --budgets 0.05,0.1,0.15,0.2,0.25,0.4` (risky-run chunks of at most
    /// 4, a bucket of 32 tokens of credit; docs/eval/calibration/humaneval-dev.json). A
    /// budget's threshold depends only on the device's confidences, so it serves this device
    /// with any cloud; the share of disagreements caught is this cloud's.
    public static func shipped(device: String) -> Calibration? {
        guard device == "qwen2.5-coder-0.5b-instruct" else { return nil }
        return try? JSONDecoder().decode(Calibration.self, from: Data(shippedQwenCoder.utf8))
    }
}

private let shippedQwenCoder = """
{
  "agreement" : 0.9766929949501489,
  "buckets" : [
    {
      "acceptance" : 0,
      "lower" : 0,
      "tokens" : 0,
      "upper" : 0.1
    },
    {
      "acceptance" : 0.3333333333333333,
      "lower" : 0.1,
      "tokens" : 3,
      "upper" : 0.2
    },
    {
      "acceptance" : 0.25,
      "lower" : 0.2,
      "tokens" : 20,
      "upper" : 0.3
    },
    {
      "acceptance" : 0.375,
      "lower" : 0.3,
      "tokens" : 56,
      "upper" : 0.4
    },
    {
      "acceptance" : 0.475,
      "lower" : 0.4,
      "tokens" : 80,
      "upper" : 0.5
    },
    {
      "acceptance" : 0.591743119266055,
      "lower" : 0.5,
      "tokens" : 218,
      "upper" : 0.6
    },
    {
      "acceptance" : 0.6231155778894473,
      "lower" : 0.6,
      "tokens" : 199,
      "upper" : 0.7
    },
    {
      "acceptance" : 0.8438818565400844,
      "lower" : 0.7,
      "tokens" : 237,
      "upper" : 0.8
    },
    {
      "acceptance" : 0.9045226130653267,
      "lower" : 0.8,
      "tokens" : 398,
      "upper" : 0.9
    },
    {
      "acceptance" : 0.9787685774946921,
      "lower" : 0.9,
      "tokens" : 471,
      "upper" : 0.95
    },
    {
      "acceptance" : 0.9891107078039928,
      "lower" : 0.95,
      "tokens" : 1102,
      "upper" : 0.99
    },
    {
      "acceptance" : 0.9996051176749329,
      "lower" : 0.99,
      "tokens" : 12662,
      "upper" : 1
    }
  ],
  "burst" : 32,
  "chunk_size" : 4,
  "cloud" : "qwen2.5-coder-1.5b-instruct",
  "device" : "qwen2.5-coder-0.5b-instruct",
  "points" : [
    {
      "budget" : 0.05,
      "disagreements_caught" : 0.8194444444444444,
      "offload_share" : 0.04998057749579179,
      "risk_threshold" : 0.21664047
    },
    {
      "budget" : 0.1,
      "disagreements_caught" : 0.95,
      "offload_share" : 0.09996115499158358,
      "risk_threshold" : 0.061822474
    },
    {
      "budget" : 0.15,
      "disagreements_caught" : 0.9777777777777777,
      "offload_share" : 0.14994173248737538,
      "risk_threshold" : 0.019674659
    },
    {
      "budget" : 0.2,
      "disagreements_caught" : 0.9972222222222222,
      "offload_share" : 0.1999870516638612,
      "risk_threshold" : 0.0056753755
    },
    {
      "budget" : 0.25,
      "disagreements_caught" : 0.9972222222222222,
      "offload_share" : 0.24763692865466788,
      "risk_threshold" : 0.001814127
    },
    {
      "budget" : 0.4,
      "disagreements_caught" : 1,
      "offload_share" : 0.37297682247831154,
      "risk_threshold" : 0.00022697449
    }
  ],
  "tokens" : 15446
}
"""
