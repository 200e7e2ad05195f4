using ProRL.Cli;

// Spectre.Console.Cli rejects one-letter long options, but `--n 16` is the documented spelling of the group size.
var normalized = args.Select(a => a == "--n" ? "-n" : a.StartsWith("--n=", StringComparison.Ordinal) ? "-n=" + a[4..] : a).ToArray();
return CliApp.Build().Run(normalized);
