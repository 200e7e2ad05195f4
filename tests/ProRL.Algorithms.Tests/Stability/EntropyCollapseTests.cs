using ProRL.Algorithms.Stability;

namespace ProRL.Algorithms.Tests.Stability;

public class EntropyCollapseTests
{
    [Theory]
    [InlineData(new[] { 0.9, 0.5, 0.04, 0.03 }, false)]       // only two steps below
    [InlineData(new[] { 0.9, 0.04, 0.03, 0.02 }, true)]        // the third step below: the collapse starts now
    [InlineData(new[] { 0.04, 0.03, 0.02 }, true)]             // from the first step
    [InlineData(new[] { 0.9, 0.04, 0.03, 0.02, 0.01 }, false)] // still collapsed: reported once, not again
    [InlineData(new[] { 0.04, 0.03, 0.02, 0.9, 0.04, 0.03, 0.02 }, true)] // recovered, then collapsed again
    [InlineData(new[] { 0.9, 0.05, 0.03, 0.02 }, false)]       // 0.05 is not below a floor of 0.05
    public void A_collapse_is_reported_at_the_step_its_streak_reaches_the_length(double[] history, bool expected) =>
        Assert.Equal(expected, EntropyCollapse.StartsNow(history, floor: 0.05, steps: 3));

    [Fact]
    public void Nonsense_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyCollapse.StartsNow([0.1], 0.05, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntropyCollapse.StartsNow([0.1], double.NaN, 1));
    }
}
