using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;
using ProRL.Tasks.Stem;

namespace ProRL.Tasks.Tests.Verification;

public class ReferenceResponseTests
{
    [Fact]
    public void Reference_responses_earn_full_reward_from_their_verifiers()
    {
        foreach (var family in LogicGenerators.Families)
        {
            var task = LogicGenerators.Generate(family.Name, 3, 1);
            Assert.Equal(1.0, new LogicVerifier().Verify(task, ReferenceResponse.For(task)!).Reward);
        }
        var math = ArithmeticGenerator.Generate(5, 3);
        Assert.Equal(1.0, new MathVerifier().Verify(math, ReferenceResponse.For(math)!).Reward);
        var stem = SampleSets.Load(TaskDomains.Stem)[2];
        Assert.Equal(1.0, new StemVerifier().Verify(stem, ReferenceResponse.For(stem)!).Reward);
        Assert.Null(ReferenceResponse.For(SampleSets.Load(TaskDomains.Code)[0]));
    }
}
