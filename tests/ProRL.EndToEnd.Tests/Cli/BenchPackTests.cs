using ProRL.Cli;

namespace ProRL.EndToEnd.Tests.Cli;

/// <summary>`prorl bench pack`: bad options are refused by name, and a run on the tiny preset measures both layouts.</summary>
public sealed class BenchPackTests
{
    [Theory]
    [InlineData("--samples 0 must be ≥ 1", "--samples", "0")]
    [InlineData("--prompt 0 must be ≥ 1", "--prompt", "0")]
    [InlineData("--min-response 50 and --max-response 40 must satisfy 1 ≤ min ≤ max", "--min-response", "50", "--max-response", "40")]
    [InlineData("--recompute", "--recompute", "blocks")]
    [InlineData("--width-factor 0.5 must be ≥ 1", "--width-factor", "0.5")]
    public void A_bad_value_is_refused_naming_the_option(string expected, params string[] options)
    {
        var error = Assert.ThrowsAny<Exception>(() => CliApp.Build().Run(["bench", "pack", "--preset", "tiny", .. options]));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Tiny_preset_runs_both_layouts_on_one_session_and_exits_0()
    {
        int code = CliApp.Build().Run(["bench", "pack", "--preset", "tiny", "--samples", "6", "--prompt", "4", "--min-response", "2",
            "--max-response", "24", "--repeats", "1", "--warmup", "0", "--threads", "1", "--one-session"]);
        Assert.Equal(0, code);
    }
}
