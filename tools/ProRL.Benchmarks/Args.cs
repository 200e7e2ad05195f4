using System.Globalization;

namespace ProRL.Benchmarks;

/// <summary>`--name value` pairs.</summary>
internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value' pairs, got '{args[i]}'.");
            d[args[i][2..]] = args[++i];
        }
        return new Args(d);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
    public int GetInt(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
