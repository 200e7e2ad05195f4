using ProRL.Rollout.Engine;

namespace ProRL.Rollout.Tests;

public class LogProbsTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(1.2)]
    [InlineData(0.3)]
    public void LogSoftmaxAt_MatchesADoublePrecisionOracle_AndNormalises(double temperature)
    {
        var random = new Random(17);
        var logits = Enumerable.Range(0, 300).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
        var scratch = new float[logits.Length];
        double total = 0;
        for (int t = 0; t < logits.Length; t++)
        {
            float lp = LogProbs.LogSoftmaxAt(logits, t, temperature, scratch);
            Assert.True(lp <= 0);
            Assert.Equal(EngineAssert.NaiveLogSoftmax(logits, t, temperature), lp, 1e-4);
            total += Math.Exp(lp);
        }
        Assert.Equal(1.0, total, 1e-4);
    }

    [Fact]
    public void LogSoftmaxAt_HandCheckedValue_AndHugeLogitsStayFinite()
    {
        // log_softmax([0, ln 3]) at T = 1: ln(1/4) and ln(3/4).
        var scratch = new float[2];
        Assert.Equal(Math.Log(0.25), LogProbs.LogSoftmaxAt([0f, (float)Math.Log(3)], 0, 1.0, scratch), 1e-6);
        // At T = 2 the logits halve: softmax([0, ln 3 / 2]) = [1/(1+√3), √3/(1+√3)].
        Assert.Equal(Math.Log(Math.Sqrt(3) / (1 + Math.Sqrt(3))), LogProbs.LogSoftmaxAt([0f, (float)Math.Log(3)], 1, 2.0, scratch), 1e-6);
        Assert.Equal(0f, LogProbs.LogSoftmaxAt([1e30f, -1e30f], 0, 1.0, scratch));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogProbs.LogSoftmaxAt([0f, 1f], 2, 1.0, scratch));
    }
}
