using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Logic;

public class LogicFamilyPropertyTests
{
    private static readonly LogicVerifier Verifier = new();

    public static TheoryData<string, int> FamiliesAndDifficulties()
    {
        var data = new TheoryData<string, int>();
        foreach (var family in LogicGenerators.Families)
            for (var d = 0; d <= family.MaxDifficulty; d++) data.Add(family.Name, d);
        return data;
    }

    private static string Wrap(string answer) => $"<think>working</think> <answer>{answer}</answer>";

    [Theory]
    [MemberData(nameof(FamiliesAndDifficulties))]
    public void Reference_answer_passes_its_own_verifier(string family, int difficulty)
    {
        for (var seed = 0; seed < 25; seed++)
        {
            var task = LogicGenerators.Generate(family, seed, difficulty);
            var result = Verifier.Verify(task, Wrap(task.Answer!));
            Assert.True(result.Reward == 1.0, $"{family} d{difficulty} s{seed}: {result.Reason}\n{task.Prompt}\nreference: {task.Answer}");
        }
    }

    /// <summary>
    /// Families whose puzzles have many solutions: a perturbed reference can be another valid answer, so they are
    /// covered by the brute-force tests in <see cref="LogicValidityTests"/> instead.
    /// </summary>
    private static readonly string[] ManySolutions = ["graph_coloring", "boolean_sat", "cryptarithm"];

    [Theory]
    [MemberData(nameof(FamiliesAndDifficulties))]
    public void Perturbed_answer_fails(string family, int difficulty)
    {
        if (ManySolutions.Contains(family)) return;
        for (var seed = 0; seed < 25; seed++)
        {
            var task = LogicGenerators.Generate(family, seed, difficulty);
            foreach (var perturbed in Perturbations(task.Answer!))
            {
                var result = Verifier.Verify(task, Wrap(perturbed));
                Assert.True(result.Reward < 1.0, $"{family} d{difficulty} s{seed}: '{perturbed}' accepted for '{task.Answer}'\n{task.Prompt}");
            }
        }
    }

    /// <summary>Answers that are wrong for every family: the reference with a character changed or a token dropped.</summary>
    private static IEnumerable<string> Perturbations(string reference)
    {
        yield return "";
        var tokens = reference.Split(' ');
        if (tokens.Length > 1) yield return string.Join(' ', tokens.Skip(1));
        // Change the last digit or letter to a different one of the same kind (keeps the format, breaks the content).
        var i = reference.Length - 1;
        while (i >= 0 && !char.IsLetterOrDigit(reference[i])) i--;
        if (i < 0) yield break;
        var c = reference[i];
        var replacement = char.IsDigit(c) ? (char)('0' + (c - '0' + 1) % 10) : c == 'z' ? 'a' : (char)(c + 1);
        yield return reference[..i] + replacement + reference[(i + 1)..];
    }

    [Theory]
    [MemberData(nameof(FamiliesAndDifficulties))]
    public void Generation_is_deterministic_and_seed_dependent(string family, int difficulty)
    {
        var a = LogicGenerators.Generate(family, 7, difficulty);
        var b = LogicGenerators.Generate(family, 7, difficulty);
        Assert.Equal(a.Prompt, b.Prompt);
        Assert.Equal(a.Answer, b.Answer);
        var distinct = Enumerable.Range(0, 30).Select(s => LogicGenerators.Generate(family, s, difficulty).Prompt).Distinct().Count();
        Assert.True(distinct >= 2, $"{family} d{difficulty}: only {distinct} distinct prompts in 30 seeds");
    }

    [Fact]
    public void There_are_at_least_twelve_families_and_three_held_out()
    {
        Assert.True(LogicGenerators.Families.Count >= 12);
        Assert.True(LogicGenerators.HeldOutFamilies.Count >= 3);
        Assert.Empty(LogicGenerators.TrainingFamilies.Intersect(LogicGenerators.HeldOutFamilies));
        Assert.Equal(LogicGenerators.Families.Count, LogicGenerators.Families.Select(f => f.Name).Distinct().Count());
    }

    [Fact]
    public void Very_easy_families_have_short_prompts_and_one_digit_answers_at_difficulty_zero()
    {
        foreach (var family in LogicGenerators.VeryEasyFamilies)
        for (var seed = 0; seed < 100; seed++)
        {
            var task = LogicGenerators.Generate(family, seed, 0);
            Assert.True(task.Answer!.Length == 1 && char.IsDigit(task.Answer[0]), $"{family}: '{task.Answer}'");
            Assert.True(task.Prompt.Length <= 70, $"{family}: {task.Prompt.Length} chars: {task.Prompt}");
        }
    }

    [Fact]
    public void Near_misses_on_counting_earn_partial_credit_below_a_correct_answer()
    {
        var task = LogicGenerators.Generate("digit_sum", 3, 1);
        var expected = int.Parse(task.Answer!);
        var near = Verifier.Verify(task, Wrap((expected + 1).ToString())).Reward;
        var far = Verifier.Verify(task, Wrap((expected + 40).ToString())).Reward;
        Assert.InRange(near, 0.01, 0.5);
        Assert.True(far < near);
    }

    [Theory]
    [InlineData("no tags at all")]
    [InlineData("<answer>unclosed")]
    [InlineData("</answer><answer>")]
    public void Missing_answer_tags_earn_zero(string response)
    {
        var task = LogicGenerators.Generate("digit_sum", 1, 0);
        var result = Verifier.Verify(task, response);
        Assert.Equal(0.0, result.Reward);
        Assert.False(result.FormatOk);
    }

    [Fact]
    public void Unknown_difficulty_or_family_is_rejected_with_the_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => LogicGenerators.Generate("no_such_family", 1, 0));
        Assert.Contains("no_such_family", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogicGenerators.Generate("maze_shortest_path", 1, 99));
    }

    [Fact]
    public void A_dataset_logic_row_without_a_known_family_is_compared_with_its_answer()
    {
        var task = new TaskItem { Id = "x", Domain = TaskDomains.Logic, Prompt = "p", Answer = "Alice, Bob" };
        Assert.Equal(1.0, Verifier.Verify(task, "<answer> alice,  bob </answer>").Reward);
        Assert.Equal(0.0, Verifier.Verify(task, "<answer>Bob, Alice</answer>").Reward);
    }
}
