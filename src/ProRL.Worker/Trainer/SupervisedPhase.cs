using ProRL.Rollout.Engine;
using ProRL.Tasks.Model;
using ProRL.Training.Session;
using ProRL.Training.Supervised;

namespace ProRL.Worker.Trainer;

/// <summary>
/// The optional warm-up before RL: teach the model the answer format of the task mix (prompt → reference response
/// + end of turn), so that a random tiny model earns rewards at all. Real runs start from a distilled model and skip it.
/// </summary>
public sealed class SupervisedPhase(RolloutEngine tokenizer, TrainingSession crossEntropySession, AdamWSettings optimizer)
{
    private const string EndOfTurn = "<|im_end|>";

    /// <summary>The (prompt, target) token ids of a task, or null when its domain has no reference response.</summary>
    public SupervisedExample? Encode(TaskItem task)
    {
        var response = ReferenceResponse.For(task);
        if (response is null) return null;
        var prompt = tokenizer.Encode(tokenizer.RenderPrompt(RolloutPrompt.User(task.Prompt)));
        var target = tokenizer.Encode(response + EndOfTurn);
        return new SupervisedExample(prompt, target);
    }

    /// <summary>One step on <paramref name="batchSize"/> tasks drawn from <paramref name="nextTask"/> (tasks without a reference response are skipped).</summary>
    public SupervisedStepResult Step(Func<TaskItem> nextTask, int batchSize)
    {
        var examples = new List<SupervisedExample>(batchSize);
        for (int attempts = 0; examples.Count < batchSize; attempts++)
        {
            if (attempts > 100 * batchSize)
                throw new InvalidOperationException("The task mix yields no tasks with a reference response (math, stem or logic) for the supervised warm-up.");
            if (Encode(nextTask()) is { } e) examples.Add(e);
        }
        var warmup = new SupervisedWarmup(crossEntropySession, optimizer, tokenizer.Folder.Config.Model.PadTokenId);
        return warmup.Step(examples);
    }
}
