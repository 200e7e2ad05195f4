using System.ComponentModel;
using System.Reflection;
using ProRL.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.EndToEnd.Tests.Cli;

/// <summary>
/// `prorl … --help` renders every option's description as Spectre.Console markup, where "[" opens a style: a
/// description with "[B, T, V]" made `--help` fail with "Could not find color or style 'B,'".
/// </summary>
public sealed class HelpTextTests
{
    private static IEnumerable<(string Where, string Text)> Descriptions() =>
        typeof(CliApp).Assembly.GetTypes()
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Select(p => (Where: $"{t.Name}.{p.Name}", Attribute: p.GetCustomAttribute<DescriptionAttribute>()))
                .Append((Where: t.Name, Attribute: t.GetCustomAttribute<DescriptionAttribute>())))
            .Where(d => d.Attribute is not null)
            .Select(d => (d.Where, d.Attribute!.Description));

    [Fact]
    public void Every_description_is_valid_markup()
    {
        // The check itself: an unescaped bracket is an error.
        Assert.ThrowsAny<InvalidOperationException>(() => new Markup("logits [B, T, V]"));
        var descriptions = Descriptions().ToList();
        Assert.True(descriptions.Count > 50, $"only {descriptions.Count} descriptions found");
        var broken = new List<string>();
        foreach (var (where, text) in descriptions)
        {
            try { _ = new Markup(text); }
            catch (InvalidOperationException e) { broken.Add($"{where}: {e.Message}"); }
        }
        Assert.True(broken.Count == 0, string.Join(Environment.NewLine, broken));
    }

    [Theory]
    [InlineData("model", "init")]
    [InlineData("artifacts", "build")]
    [InlineData("artifacts", "check")]
    [InlineData("eval")]
    [InlineData("bench", "train")]
    public void Help_renders(params string[] command)
    {
        var app = CliApp.Build();
        Assert.Equal(0, app.Run([.. command, "--help"]));
    }
}
