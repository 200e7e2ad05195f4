using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Reporting;

/// <summary>One metric over steps, as read from <c>metrics.jsonl</c> (records without a finite value are left out).</summary>
public sealed record MetricSeries(string Key, double[] Steps, double[] Values)
{
    public static MetricSeries Extract(IEnumerable<JsonObject> records, string key)
    {
        var steps = new List<double>();
        var values = new List<double>();
        foreach (var record in records)
        {
            if (TryNumber(record[MetricNames.Step], out var step) && TryNumber(record[key], out var value))
            {
                steps.Add(step);
                values.Add(value);
            }
        }
        return new MetricSeries(key, steps.ToArray(), values.ToArray());
    }

    /// <summary>Steps of the <c>reference_reset</c> events.</summary>
    public static IReadOnlyList<double> ResetSteps(IEnumerable<JsonObject> events) =>
        events.Where(e => e["type"]?.GetValueKind() == JsonValueKind.String && (string?)e["type"] == EventTypes.ReferenceReset)
            .Select(e => TryNumber(e["step"], out var step) ? step : double.NaN)
            .Where(double.IsFinite)
            .ToList();

    public static bool TryNumber(JsonNode? node, out double value)
    {
        value = double.NaN;
        if (node is not JsonValue json || json.GetValueKind() != JsonValueKind.Number) return false;
        // Parsed records hold JSON text, records built in memory hold CLR ints or doubles: the JSON text covers both.
        return double.TryParse(json.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }
}
