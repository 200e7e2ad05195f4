using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Reporting;

/// <summary>The one console line per step: step, reward (and by domain), pass rate, KL, entropy, clip fractions,
/// length, kept groups, throughput and step time. Metrics a record lacks are left out.</summary>
public static class ProgressFormatter
{
    public static string FormatStep(JsonObject record)
    {
        var line = new StringBuilder();
        line.Append("step ").Append(MetricSeries.TryNumber(record[MetricNames.Step], out var step) ? Num(step, "0") : "?");
        if (record[MetricNames.Phase]?.ToString() is { Length: > 0 } phase) line.Append(" [").Append(phase).Append(']');
        Field(line, record, MetricNames.RewardMean, "reward", "0.000");
        var domains = record.Where(p => p.Key.StartsWith(MetricNames.RewardDomainPrefix, StringComparison.Ordinal) && p.Key != MetricNames.RewardMean)
            .Select(p => MetricSeries.TryNumber(p.Value, out var v) ? $"{p.Key[MetricNames.RewardDomainPrefix.Length..]} {Num(v, "0.00")}" : null)
            .OfType<string>()
            .ToList();
        if (domains.Count > 0) line.Append(" (").Append(string.Join(", ", domains)).Append(')');
        Field(line, record, MetricNames.PassRate, "pass", "0.00");
        Field(line, record, MetricNames.Kl, "KL", "0.00e+0");
        Field(line, record, MetricNames.Entropy, "H", "0.000");
        if (MetricSeries.TryNumber(record[MetricNames.ClipFractionLow], out var low) &&
            MetricSeries.TryNumber(record[MetricNames.ClipFractionHigh], out var high))
            line.Append(" | clip ").Append(Num(low, "0.000")).Append('/').Append(Num(high, "0.000"));
        Field(line, record, MetricNames.ResponseLengthMean, "len", "0");
        Field(line, record, MetricNames.KeptGroupFraction, "kept", "0.00");
        Field(line, record, MetricNames.TokensPerSecond, "tok/s", "#,0");
        if (MetricSeries.TryNumber(record[MetricNames.StepSeconds], out var seconds)) line.Append(" | ").Append(Num(seconds, "0.0")).Append(" s");
        return line.ToString();
    }

    private static void Field(StringBuilder line, JsonObject record, string key, string label, string format)
    {
        if (MetricSeries.TryNumber(record[key], out var value)) line.Append(" | ").Append(label).Append(' ').Append(Num(value, format));
    }

    private static string Num(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
