using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSystemd();
builder.Services.AddWindowsService(o => o.ServiceName = "ProRL.Onnx");
using var host = builder.Build();
await host.RunAsync();
