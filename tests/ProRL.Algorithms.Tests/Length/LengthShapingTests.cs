using ProRL.Algorithms.Length;

namespace ProRL.Algorithms.Tests.Length;

public class LengthShapingTests
{
    [Theory]
    [InlineData(1.0, true, false, 0.5, 1.0)]   // ended with EOS: unchanged
    [InlineData(1.0, false, false, 0.5, 0.5)]  // truncated: 1 − 0.5
    [InlineData(1.0, false, true, 0.5, -0.5)]  // truncated, reward zeroed first: 0 − 0.5
    [InlineData(0.7, false, false, 0.0, 0.7)]  // penalty off
    public void No_eos_rule(double reward, bool eos, bool zero, double penalty, double expected)
    {
        var options = new LengthShapingOptions { ZeroRewardWithoutEos = zero, NoEosPenalty = penalty };
        Assert.Equal(expected, LengthShaping.WithoutEos(reward, eos, options), 12);
    }

    [Theory]
    // L_max = 100, L_cache = 20: no penalty up to 80; (80 − 90)/20 = −0.5 at 90; −1 at 100 and beyond.
    [InlineData(0, 1.0, 0.0)]
    [InlineData(80, 1.0, 0.0)]
    [InlineData(90, 1.0, -0.5)]
    [InlineData(95, 1.0, -0.75)]
    [InlineData(100, 1.0, -1.0)]
    [InlineData(101, 1.0, -1.0)]
    [InlineData(90, 0.5, -0.25)]
    public void Dapo_soft_overlong_penalty(int length, double factor, double expected)
    {
        Assert.Equal(expected, LengthShaping.OverlongPenalty(length, 100, 20, factor), 12);
    }

    [Theory]
    // −(1 − cos(π·l/100))/2: 0 at 0; −(1 − cos(π/4))/2 = −(1 − 0.7071068)/2 = −0.1464466 at 25; −0.5 at 50; −1 at 100 and beyond.
    [InlineData(0, 0.0)]
    [InlineData(25, -0.14644660940672624)]
    [InlineData(50, -0.5)]
    [InlineData(100, -1.0)]
    [InlineData(250, -1.0)]
    public void Cosine_length_penalty(int length, double expected)
    {
        Assert.Equal(expected, LengthShaping.CosinePenalty(length, 100, weight: 1.0), 12);
    }

    [Fact]
    public void Cosine_schedule_is_on_for_A_steps_then_off_for_B()
    {
        // A = 3, B = 2: on at 0, 1, 2; off at 3, 4; on at 5; off at 8, 9.
        bool[] expected = [true, true, true, false, false, true, true, true, false, false];
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(s => LengthShaping.CosinePenaltyActive(s, 3, 2)).ToArray());
        Assert.False(LengthShaping.CosinePenaltyActive(7, 0, 5));
        Assert.True(LengthShaping.CosinePenaltyActive(7, 5, 0));
    }

    [Fact]
    public void Shape_combines_the_rules()
    {
        var options = new LengthShapingOptions
        {
            Overlong = { Enabled = true, MaxLength = 100, BufferLength = 20 },
            Cosine = { Enabled = true, Weight = 1, MaxLength = 100, OnSteps = 3, OffSteps = 2 },
        };
        // Step 0 (on), correct, length 90: 1 − 0.5 − (1 − cos(0.9π))/2 = 0.5 − (1 + 0.9510565)/2 = −0.4755283.
        Assert.Equal(0.5 - (1 - Math.Cos(0.9 * Math.PI)) / 2, LengthShaping.Shape(1, 90, true, 0, options), 12);
        Assert.Equal(-0.4755283, LengthShaping.Shape(1, 90, true, 0, options), 6);
        // Step 3 (off): only the overlong part, 1 − 0.5.
        Assert.Equal(0.5, LengthShaping.Shape(1, 90, true, 3, options), 12);
        // Wrong answer: the cosine penalty is for correct answers only: 0 − 0.5.
        Assert.Equal(-0.5, LengthShaping.Shape(0, 90, true, 0, options), 12);
    }

    [Fact]
    public void Invalid_options_name_the_option()
    {
        var options = new LengthShapingOptions { Overlong = { BufferLength = 200, MaxLength = 100 } };
        var error = Assert.Throws<ArgumentException>(() => LengthShaping.Shape(1, 1, true, 0, options));
        Assert.Contains("Overlong.BufferLength", error.Message);
        Assert.Throws<ArgumentException>(() => new LengthShapingOptions { NoEosPenalty = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new LengthShapingOptions { Cosine = { OnSteps = 0, OffSteps = 0 } }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthShaping.OverlongPenalty(-1, 100, 20));
    }
}
