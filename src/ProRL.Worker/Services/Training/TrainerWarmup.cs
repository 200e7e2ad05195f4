using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ProRL.Rollout.Engine;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Trainer;

namespace ProRL.Worker.Services.Training;

/// <summary>The trainer's optional supervised warm-up (<c>Sft</c>), committed as step 1.</summary>
public sealed partial class TrainerLoop
{
    /// <summary>
    /// The optional supervised warm-up, committed as step 1 (policy, reference and trainer v1), so that a crash during
    /// RL never repeats it. Does nothing when <c>Sft:Steps</c> is 0 or a step is already committed. The warm-up's
    /// cross-entropy session takes the place of the trainer's for its duration (two sessions would hold two sets of
    /// parameters, gradients and moments); the trainer's is reopened with the warmed-up parameters.
    /// </summary>
    public void WarmUpIfConfigured(CancellationToken cancellationToken)
    {
        if (_c.Sft.Steps <= 0 || _step > 0) return;
        var watch = Stopwatch.StartNew();
        var (first, last) = WarmUp(cancellationToken);
        TrainingSession.ReleaseManagedMemory(); // the warmed-up parameters' managed copy, dropped with WarmUp's frame
        _session.SetReferenceToPolicy();
        _step = 1;
        var state = new TrainerState(_step, TrainerState.SftPhase, _mixture.Position.ToJson(), _step);
        _disk.Retrying(() => _exchange.CommitStep(_step, [], folder => WriteState(folder, state), folder => _session.ExportModel(_c.Model.Path, folder),
            Properties(TrainerState.SftPhase)), NextCommitBytes(), $"step {_step}", cancellationToken);
        _disk.Retrying(() => _reference.CommitWarmUp(_step), NextCommitBytes(), $"reference v{_step}", cancellationToken);
        _store.Metrics.Append(_step, new Dictionary<string, double> { [MetricNames.Loss] = last, ["sft/first_loss"] = first, ["sft/steps"] = _c.Sft.Steps },
            TrainerState.SftPhase);
        _store.Events.Append(EventTypes.PolicyCommitted, _step,
            $"supervised warm-up: {_c.Sft.Steps} steps, loss {first:F3} → {last:F3} in {watch.Elapsed.TotalSeconds:F0} s");
        _logger.LogInformation("Supervised warm-up done: {Steps} steps, loss {First:F3} -> {Last:F3}", _c.Sft.Steps, first, last);
    }

    /// <summary>Runs the warm-up in its own session, then reopens the trainer's session with the warmed-up parameters.</summary>
    private (double First, double Last) WarmUp(CancellationToken cancellationToken)
    {
        _session.Dispose(); // the trainer's session holds the export's initial parameters and zero moments: nothing to keep
        Dictionary<string, ProRL.Onnx.Tensors.Tensor> warmed;
        IReadOnlyList<double> losses;
        var artifacts = ArtifactsCache.GetOrBuild(_c.Run.Directory, _c.Model.Path, _modelHash,
            new TrainingGraphOptions
            {
                Head = LossHeadKind.CrossEntropy, Recompute = _c.Training?.RecomputeMode ?? ProRL.Training.Autodiff.RecomputeMode.None,
                HeadChunks = _c.Training?.HeadChunks ?? EvalHead.DefaultChunks,
            });
        WarnIfRecomputeNotApplied(artifacts);
        using (var ce = TrainingSession.Open(artifacts, SessionOptions()))
        using (var tokenizer = new RolloutEngine(new RolloutEngineOptions
        {
            ModelPath = _c.Model.Path, IntraOpThreads = _c.Model.Threads, ChatTemplate = _c.Model.ChatTemplate,
        }))
        {
            var phase = new SupervisedPhase(tokenizer, ce, new AdamWSettings { LearningRate = (float)_c.Sft.Lr, WeightDecay = 0, MaxGradNorm = (float)_c.Optimizer.GradClip });
            // Its own stream (RL's starts untouched), on the training side of the split as well.
            var sftMixture = TaskMixtureFactory.Create(_c.Tasks, unchecked(Seed + 7919), split: _c.Validation.Split());
            losses = SupervisedRun.Train(phase, sftMixture, _c.Sft.Steps, _c.Sft.BatchSize, (done, r) =>
            {
                if (done % 10 == 0 || done == _c.Sft.Steps)
                    _logger.LogInformation("Supervised warm-up {Done}/{Steps}: loss {Loss:F3}", done, _c.Sft.Steps, r.Loss);
            }, cancellationToken);
            warmed = ce.GetParameters();
        }
        (_session, _updater) = OpenPolicySession();
        _session.SetParameters(warmed, "the supervised warm-up's parameters");
        return (losses[0], losses[^1]);
    }
}
