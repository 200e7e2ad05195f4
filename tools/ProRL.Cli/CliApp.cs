using Spectre.Console.Cli;

namespace ProRL.Cli;

/// <summary>The `prorl` command tree. Each verb lives in its own file under Commands/.</summary>
public static class CliApp
{
    public static CommandApp Build()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("prorl");
            config.PropagateExceptions();
        });
        return app;
    }
}
