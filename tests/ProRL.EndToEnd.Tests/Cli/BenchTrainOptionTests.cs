using ProRL.Cli;

namespace ProRL.EndToEnd.Tests.Cli;

/// <summary>`prorl bench train` refuses bad options by name, before it generates or builds anything.</summary>
public sealed class BenchTrainOptionTests
{
    [Theory]
    [InlineData("--arena", "1", "--arena '1' is unknown (allowed: shared, off)")]
    [InlineData("--arena", "per-graph", "--arena 'per-graph' is unknown")]
    [InlineData("--head-chunks", "-2", "--head-chunks -2 must be ≥ 0")]
    [InlineData("--recompute", "blocks", "--recompute")]
    public void A_bad_value_is_refused_naming_the_option(string option, string value, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => CliApp.Build().Run(["bench", "train", "--preset", "tiny", option, value]));
        Assert.Contains(expected, error.Message);
    }
}
