using ProRL.Tasks.Code;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.IfEval;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;
using ProRL.Tasks.Stem;

namespace ProRL.Tasks.Tests.Datasets;

public class SampleSetTests
{
    [Theory]
    [InlineData(TaskDomains.Math, 30)]
    [InlineData(TaskDomains.Code, 20)]
    [InlineData(TaskDomains.Stem, 30)]
    [InlineData(TaskDomains.IfEval, 20)]
    public void Each_shipped_sample_set_loads_with_a_few_dozen_items(string domain, int atLeast)
    {
        var items = SampleSets.Load(domain);
        Assert.True(items.Count >= atLeast, $"{domain}: {items.Count}");
        Assert.All(items, i => Assert.Equal(domain, i.Domain));
        Assert.Equal(items.Count, items.Select(i => i.Id).Distinct().Count());
    }

    [Fact]
    public void Math_and_stem_references_pass_their_verifiers()
    {
        foreach (var task in SampleSets.Load(TaskDomains.Math))
            Assert.True(new MathVerifier().Verify(task, $"\\boxed{{{task.Answer}}}").Reward == 1.0, task.Id);
        foreach (var task in SampleSets.Load(TaskDomains.Stem))
            Assert.Equal(1.0, new StemVerifier().Verify(task, $"The answer is ({task.Answer})").Reward);
    }

    [Fact]
    public void Every_ifeval_sample_uses_only_supported_instructions() =>
        Assert.All(SampleSets.Load(TaskDomains.IfEval).SelectMany(t => t.Instructions!),
            i => Assert.True(IfEvalInstructions.Checkers.ContainsKey(i.Id), i.Id));

    [Fact]
    public void Every_code_sample_has_a_well_formed_test_list() =>
        Assert.All(SampleSets.Load(TaskDomains.Code), t =>
        {
            Assert.NotEmpty(t.Tests!);
            Assert.All(t.Tests!, test => Assert.True(test.IsAssert ? test.Assert!.StartsWith("assert ", StringComparison.Ordinal) : test.Output is not null));
        });

    [Fact]
    public void Unknown_domain_is_refused_with_the_available_ones() =>
        Assert.Contains("math", Assert.Throws<ArgumentException>(() => SampleSets.Load("logic")).Message);

    [Fact]
    public void Output_normalisation_ignores_trailing_whitespace_only() =>
        Assert.Equal(CodeVerifier.NormalizeOutput("1 \r\n2\n\n"), CodeVerifier.NormalizeOutput("1\n2")) ;
}
