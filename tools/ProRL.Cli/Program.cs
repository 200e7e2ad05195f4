using ProRL.Cli;

return CliApp.Build().Run(args);
