using ProRL.Cli;
using Spectre.Console;

// Spectre.Console.Cli rejects one-letter long options, but `--n 16` is the documented spelling of the group size.
var normalized = args.Select(a => a == "--n" ? "-n" : a.StartsWith("--n=", StringComparison.Ordinal) ? "-n=" + a[4..] : a).ToArray();
try
{
    return CliApp.Build().Run(normalized);
}
catch (InputRefusedException e)
{
    // A model folder (or other input) that the worker's start-up would refuse: the same lines, and the same exit code 2.
    AnsiConsole.MarkupLine("[red]Invalid input:[/]");
    foreach (var problem in e.Problems) AnsiConsole.WriteLine("  " + problem);
    return 2;
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    // Bad input (a missing file, an invalid option, a corrupt model) is one readable line, not a stack trace;
    // PRORL_DEBUG=1 shows the whole exception.
    if (Environment.GetEnvironmentVariable("PRORL_DEBUG") == "1") AnsiConsole.WriteException(e);
    else AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
    return 1;
}
