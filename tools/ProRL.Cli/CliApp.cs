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
            config.AddBranch("model", b =>
            {
                b.AddCommand<Commands.ModelInitCommand>("init");
                b.AddCommand<Commands.ModelInspectCommand>("inspect");
            });
            config.AddCommand<Commands.GenerateCommand>("generate");
            config.AddCommand<Commands.ScoreCommand>("score");
            config.AddCommand<Commands.SftCommand>("sft");
            config.AddBranch("tasks", b => b.AddCommand<Commands.TasksSampleCommand>("sample"));
            config.AddBranch<Commands.EvalSettings>("eval", b =>
            {
                b.SetDefaultCommand<Commands.EvalCommand>();
                b.AddCommand<Commands.EvalCompareCommand>("compare");
            });
            config.AddBranch("artifacts", b =>
            {
                b.AddCommand<Commands.ArtifactsBuildCommand>("build");
                b.AddCommand<Commands.ArtifactsCheckCommand>("check");
            });
            config.AddCommand<Commands.ExportCommand>("export");
            config.AddBranch("runs", b =>
            {
                b.AddCommand<Commands.RunsListCommand>("list");
                b.AddCommand<Commands.RunsShowCommand>("show");
                b.AddCommand<Commands.RunsPlotCommand>("plot");
            });
            config.AddBranch("bench", bench =>
            {
                bench.AddCommand<Commands.BenchRolloutCommand>("rollout");
                bench.AddCommand<Commands.BenchTrainCommand>("train");
                bench.AddCommand<Commands.BenchPackCommand>("pack");
                bench.AddCommand<Commands.BenchOptimizerCommand>("optimizer");
            });
        });
        return app;
    }
}
