using System.Diagnostics;
using ProRL.Algorithms.Advantages;
using ProRL.Algorithms.Length;
using ProRL.Algorithms.Loss;
using ProRL.Training.Batching;
using ProRL.Training.Heads;
using ProRL.Training.Session;

namespace ProRL.Worker.Trainer;

/// <summary>What one RL step needs besides the samples (mapped from the worker's options).</summary>
public sealed record PolicyUpdateSettings
{
    public AdvantageOptions Advantage { get; init; } = new();
    public LengthShapingOptions LengthShaping { get; init; } = new();
    public PolicyLossSettings Loss { get; init; } = new();
    public AdamWSettings Optimizer { get; init; } = new();
    /// <summary>Gradient updates per rollout step (the batch is split into this many mini-batches).</summary>
    public int MiniBatches { get; init; } = 4;
    /// <summary>Most sequences per forward/backward pass; mini-batches larger than this are accumulated.</summary>
    public int MicroBatchSize { get; init; } = 16;
    /// <summary>
    /// Most computed tokens (rows × longest sample, in the padded or the packed layout) per forward/backward pass, so that
    /// long responses do not exceed memory; null = no token budget. A sample longer than the budget goes alone
    /// (<see cref="MicroBatchPlanner"/>).
    /// </summary>
    public int? MaxTokensPerMicroBatch { get; init; }
    /// <summary>Cap of the truncated importance weights between trainer and rollout-engine logprobs; null = off.</summary>
    public double? TruncatedImportanceCap { get; init; }
    public long PadTokenId { get; init; }
}

/// <summary>Figures of one RL step, for metrics.jsonl and the console.</summary>
public sealed record PolicyUpdateResult(
    int Samples, int ResponseTokens, double MeanReward, double MeanShapedReward, double Loss, double PolicyGradientLoss,
    double Kl, double Entropy, double ClipFractionLow, double ClipFractionHigh, double GradNorm, int UpdatesApplied,
    int UpdatesSkipped, double KlShare, double RolloutTrainerLogprobGap, IReadOnlyList<string> SkipReasons)
{
    /// <summary>
    /// Wall seconds and peak RSS of the update's phases (metrics `time/*`, `peak_rss_gib/*`), where a step's time and
    /// memory go at real model sizes: <see cref="PhaseLogprobs"/>, <see cref="PhaseForwardBackward"/>, <see cref="PhaseOptimizer"/>.
    /// </summary>
    public PhaseMeter? Phases { get; init; }

    /// <summary>Old and reference log-probabilities (eval graph), forward + backward (training graph), AdamW steps.</summary>
    public const string PhaseLogprobs = "old_and_ref_logprobs", PhaseForwardBackward = "forward_backward", PhaseOptimizer = "optimizer";
}

/// <summary>
/// The KL-controlled ProRL update: shape rewards, compute advantages, take the old-policy and reference logprobs
/// of every sample before any parameter changes, then run <see cref="PolicyUpdateSettings.MiniBatches"/> AdamW
/// updates of the clipped surrogate (+ KL penalty) on the training graph.
/// </summary>
public sealed class PolicyUpdater(TrainingSession session, PolicyUpdateSettings settings)
{
    /// <param name="klCoef">The KL coefficient of this step (a KL controller's current value); null: the settings' fixed one.</param>
    public PolicyUpdateResult Update(IReadOnlyList<TrainingSample> samples, long step, CancellationToken cancellationToken = default,
        double? klCoef = null)
    {
        var lossSettings = klCoef is { } coef ? settings.Loss with { KlCoef = (float)coef } : settings.Loss;
        if (samples.Count == 0) throw new ArgumentException("An RL step needs at least one sample.", nameof(samples));
        if (!session.HasReference) throw new InvalidOperationException("The training session has no reference parameters loaded.");

        var rewards = samples.Select(s => s.Reward).ToArray();
        var shaped = samples.Select(s => LengthShaping.Shape(s.Reward, s.CompletionIds.Length, s.EndedWithEos, step, settings.LengthShaping)).ToArray();
        var advantages = AdvantageEstimation.Compute(shaped, samples.Select(s => s.GroupId).ToArray(), settings.Advantage);
        Telemetry.TrainingDistributions.Publish(step, advantages, samples.Select(s => s.CompletionIds.Length)); // TensorBoard histograms

        // Micro-batches are fixed up front; their old/reference logprobs come from the parameters as they are now.
        var phases = new PhaseMeter();
        var miniBatches = Split(Enumerable.Range(0, samples.Count).ToArray(), Math.Min(settings.MiniBatches, samples.Count));
        var plan = miniBatches.Select(mb => MicroBatchPlanner.Plan(mb, r => samples[r].Length, settings.MicroBatchSize, settings.MaxTokensPerMicroBatch,
                packed: session.Manifest.PackedSequences)
            .Select(rows => Prepare(samples, advantages, rows)).ToList()).ToList();
        phases.Lap(PolicyUpdateResult.PhaseLogprobs);

        double loss = 0, pg = 0, kl = 0, entropy = 0, clipLow = 0, clipHigh = 0, gradNorm = 0, gap = 0;
        int applied = 0, skipped = 0, tokens = 0;
        var reasons = new List<string>();
        foreach (var mini in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var miniCounts = mini.Aggregate(default(MaskCounts), (acc, m) => acc + m.Counts);
            foreach (var micro in mini)
            {
                if (micro.Packed.ResponseTokens == 0) continue;
                // Micro-batch losses must add up to the mini-batch's, under the aggregation the graph was built with.
                float scale = MicroBatchScale.LossScale(session.Manifest.PolicyLoss.Aggregation, micro.Counts, miniCounts);
                phases.Lap(null);
                var result = session.TrainStep(micro.Packed.Tokens, micro.Inputs, lossSettings with { LossScale = scale });
                phases.Lap(PolicyUpdateResult.PhaseForwardBackward);
                double w = (double)micro.Packed.ResponseTokens;
                tokens += micro.Packed.ResponseTokens;
                loss += w * result.Loss / scale;
                pg += w * Metric(result, PolicyLossHead.PolicyGradientLoss);
                kl += w * Metric(result, PolicyLossHead.Kl);
                entropy += w * Metric(result, PolicyLossHead.EntropyMean);
                clipLow += w * Metric(result, PolicyLossHead.ClipFractionLow);
                clipHigh += w * Metric(result, PolicyLossHead.ClipFractionHigh);
                gap += w * micro.LogprobGap;
            }
            phases.Lap(null);
            var opt = session.OptimizerStep(settings.Optimizer);
            phases.Lap(PolicyUpdateResult.PhaseOptimizer);
            if (opt.Applied) { applied++; gradNorm += opt.GradNorm; }
            else { skipped++; reasons.Add(opt.SkipReason ?? "skipped"); }
        }
        double n = Math.Max(1, tokens);
        double klTerm = Math.Abs(settings.Loss.KlCoef * kl / n), pgTerm = Math.Abs(pg / n);
        return new PolicyUpdateResult(
            samples.Count, tokens, rewards.Average(), shaped.Average(), loss / n, pg / n, kl / n, entropy / n,
            clipLow / n, clipHigh / n, applied > 0 ? gradNorm / applied : double.NaN, applied, skipped,
            PolicyLoss.KlShare(pgTerm, klTerm), gap / n, reasons)
        {
            Phases = phases,
        };
    }

    private sealed record MicroBatch(PackedBatch Packed, PolicyLossInputs Inputs, double LogprobGap)
    {
        // Rows and sequences only matter to the per-sequence aggregations, which packed artifacts refuse.
        public MaskCounts Counts { get; } = MaskCounts.Of(Packed.ResponseMask, Packed.Tokens.BatchSize);
    }

    private MicroBatch Prepare(IReadOnlyList<TrainingSample> samples, double[] advantages, int[] rows)
    {
        var subset = rows.Select(r => samples[r]).ToList();
        // Artifacts built for packed sequences (Training:PackSequences) take several samples per row.
        var packed = session.Manifest.PackedSequences
            ? PackedBatch.PackSequences(subset, settings.PadTokenId)
            : PackedBatch.Pack(subset, settings.PadTokenId);
        var old = session.EvalStep(packed.Tokens, settings.Loss.Temperature, ParameterSet.Policy);
        var reference = session.EvalStep(packed.Tokens, settings.Loss.Temperature, ParameterSet.Reference);
        var tokenAdvantages = packed.PerSampleToTokens(rows.Select(r => advantages[r]).ToArray(), subset);

        // Mean |trainer − rollout engine| logprob over response tokens: the mismatch that truncated IS corrects.
        double gap = 0;
        for (int i = 0; i < packed.ResponseMask.Length; i++)
            if (packed.ResponseMask[i] > 0) gap += Math.Abs(old.Logprobs[i] - packed.BehaviourLogprobs[i]);
        if (settings.TruncatedImportanceCap is double cap && packed.ResponseTokens > 0)
        {
            var weights = ImportanceSampling.Truncated(old.Logprobs, packed.BehaviourLogprobs, packed.ResponseMask, cap);
            tokenAdvantages = ImportanceSampling.Apply(tokenAdvantages, weights.Weights);
        }
        var inputs = new PolicyLossInputs(packed.ResponseMask, old.Logprobs, reference.Logprobs, tokenAdvantages);
        return new MicroBatch(packed, inputs, packed.ResponseTokens > 0 ? gap / packed.ResponseTokens : 0);
    }

    private static double Metric(TrainStepResult r, string name) => r.Metrics.TryGetValue(name, out var v) ? v : 0;

    /// <summary>Splits rows into <paramref name="parts"/> contiguous, near-equal parts.</summary>
    internal static List<int[]> Split(int[] rows, int parts)
    {
        var result = new List<int[]>(parts);
        for (int i = 0; i < parts; i++)
        {
            int start = rows.Length * i / parts, end = rows.Length * (i + 1) / parts;
            result.Add(rows[start..end]);
        }
        return result;
    }
}
