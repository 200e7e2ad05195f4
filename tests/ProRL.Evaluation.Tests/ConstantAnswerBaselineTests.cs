using ProRL.Evaluation.Reports;
using ProRL.Evaluation.TaskSelection;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;

namespace ProRL.Evaluation.Tests;

public class ConstantAnswerBaselineTests
{
    private static readonly RewardScorer Scorer = new([new LogicVerifier(), new MathVerifier()]);

    private static EvaluationProblem Logic(string id, string answer) => new(new TaskItem
    {
        Id = id, Domain = TaskDomains.Logic, Prompt = $"prompt {id}", Answer = answer, Family = "digit_sum",
    }, "logic:digit_sum");

    private static EvaluationProblem Math(string id, string answer) => new(new TaskItem
    {
        Id = id, Domain = TaskDomains.Math, Prompt = $"prompt {id}", Answer = answer,
    }, "math:arithmetic");

    [Fact]
    public async Task Picks_the_most_frequent_answer_and_counts_what_it_solves_by_hand()
    {
        // Answers 3, 3, 3, 7, 12 (logic) and 3 (math, written as \boxed{3}): "3" solves 4 of 6 problems.
        var problems = new[] { Logic("a", "3"), Logic("b", "3"), Logic("c", "3"), Logic("d", "7"), Logic("e", "12"), Math("f", "3") };
        var baseline = await ConstantAnswerBaseline.FindAsync(problems, Scorer);
        Assert.Equal("3", baseline.Answer);
        Assert.Equal(6, baseline.Problems);
        Assert.Equal(3, baseline.Candidates);
        Assert.Equal(4.0 / 6, baseline.PassRate, 12);
        // Partial credit for the near misses raises the mean reward above the pass rate, never below it.
        Assert.InRange(baseline.MeanReward, baseline.PassRate, 1.0);
    }

    [Fact]
    public async Task Per_source_constants_know_the_family_and_beat_the_single_constant_by_hand()
    {
        // digit_sum answers 3, 3, 7 → "3" solves 2 of 3; arithmetic answers 5, 5, 5 → "5" solves 3 of 3.
        // One constant for all: "5" solves 3 of 6. One per source: 5 of 6.
        var problems = new[] { Logic("a", "3"), Logic("b", "3"), Logic("c", "7"), Math("d", "5"), Math("e", "5"), Math("f", "5") };
        var single = await ConstantAnswerBaseline.FindAsync(problems, Scorer);
        var bySource = await ConstantAnswerBaseline.FindPerSourceAsync(problems, Scorer);
        Assert.Equal(("5", 0.5), (single.Answer, single.PassRate));
        Assert.Equal(["logic:digit_sum", "math:arithmetic"], bySource.Keys);
        Assert.Equal(("3", 2.0 / 3), (bySource["logic:digit_sum"].Answer, bySource["logic:digit_sum"].PassRate));
        Assert.Equal(("5", 1.0), (bySource["math:arithmetic"].Answer, bySource["math:arithmetic"].PassRate));
        Assert.Equal(5.0 / 6, ConstantAnswerBaseline.PerSourcePassRate(bySource), 12);
    }

    [Fact]
    public async Task Leaves_out_problems_whose_domain_states_no_answer()
    {
        var code = new EvaluationProblem(new TaskItem { Id = "c", Domain = TaskDomains.Code, Prompt = "p", Answer = null }, "code:samples");
        var baseline = await ConstantAnswerBaseline.FindAsync([Logic("a", "5"), code], Scorer);
        Assert.Equal(("5", 1, 1.0), (baseline.Answer, baseline.Problems, baseline.PassRate));
    }

    [Fact]
    public async Task No_answerable_problem_gives_no_answer_and_zero_scores()
    {
        var code = new EvaluationProblem(new TaskItem { Id = "c", Domain = TaskDomains.Code, Prompt = "p" }, "code:samples");
        var baseline = await ConstantAnswerBaseline.FindAsync([code], Scorer);
        Assert.Equal(((string?)null, 0, 0.0), (baseline.Answer, baseline.Problems, baseline.PassRate));
    }
}

public class HeldOutSeedTests
{
    [Fact]
    public async Task Held_out_problems_have_negative_seeds_and_differ_from_the_ordinary_ones()
    {
        var spec = TaskSpec.Parse("logic:digit_sum,math:arithmetic");
        var ordinary = await TaskSetBuilder.BuildAsync(spec, new TaskSelectionOptions { ProblemsPerSource = 20, Seed = 3 });
        var heldOut = await TaskSetBuilder.BuildAsync(spec, new TaskSelectionOptions { ProblemsPerSource = 20, Seed = 3, HeldOutSeeds = true });
        Assert.All(ordinary, p => Assert.True(p.Task.Seed >= 0));
        Assert.All(heldOut, p => Assert.True(p.Task.Seed < 0, $"{p.Task.Id} has seed {p.Task.Seed}"));
        Assert.Empty(ordinary.Select(p => p.Task.Id).Intersect(heldOut.Select(p => p.Task.Id)));
    }

    /// <summary>The other half of the guarantee: a training mixture only ever hands its generators non-negative seeds.</summary>
    [Fact]
    public void Training_mixture_draws_only_non_negative_seeds()
    {
        var mixture = new TaskMixture([BuiltInSources.Logic(maxDifficulty: 1), BuiltInSources.Arithmetic()], seed: 42);
        var drawn = mixture.Take(5000);
        Assert.All(drawn, t => Assert.True(t.Seed >= 0, $"{t.Id} has seed {t.Seed}"));
        Assert.Contains(drawn, t => t.Seed > 1 << 30); // the draws do span the range, so the check is not vacuous
    }
}
