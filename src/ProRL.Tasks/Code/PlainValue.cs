using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace ProRL.Tasks.Code;

/// <summary>
/// Python plain values as the harness serialises them (tagged JSON): <c>null</c>, <c>true</c>/<c>false</c>, JSON
/// strings, JSON arrays (lists), and one-key objects <c>{"int": "…"}</c>, <c>{"float": "repr"}</c>, <c>{"tuple": […]}</c>,
/// <c>{"dict": [[k, v], …]}</c>, <c>{"set": […]}</c>, <c>{"frozenset": […]}</c>, <c>{"bytes": "hex"}</c>. Anything else
/// (an <c>{"opaque": type}</c> object the harness could not serialise, or malformed JSON) equals nothing.
/// <para>
/// Equality follows Python's <c>==</c> on these types, with one deliberate strictness: a bool never equals a number
/// (python's <c>True == 1</c>). Comparison is here, in the parent, so no object of the solution takes part in it.
/// </para>
/// </summary>
public static class PlainValue
{
    private const int MaxDepth = 64;

    public static bool Equal(JsonElement a, JsonElement b) => Equal(a, b, 0);

    /// <summary>Parses one serialised value; null when the text is not JSON.</summary>
    public static JsonElement? Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            return doc.RootElement.Clone();
        }
        catch (JsonException) { return null; }
    }

    private static bool Equal(JsonElement a, JsonElement b, int depth)
    {
        if (depth > MaxDepth) return false;
        var ka = KindOf(a);
        var kb = KindOf(b);
        if (ka is Kind.Opaque || kb is Kind.Opaque) return false;
        if (IsNumber(ka) && IsNumber(kb)) return NumbersEqual(a, ka, b, kb);
        if (IsSet(ka) && IsSet(kb)) return Unordered(Items(a, "set", "frozenset"), Items(b, "set", "frozenset"), depth);
        if (ka != kb) return false;
        return ka switch
        {
            Kind.None => true,
            Kind.Bool => a.GetBoolean() == b.GetBoolean(),
            Kind.Str => string.Equals(a.GetString(), b.GetString(), StringComparison.Ordinal),
            Kind.Bytes => string.Equals(a.GetProperty("bytes").GetString(), b.GetProperty("bytes").GetString(), StringComparison.OrdinalIgnoreCase),
            Kind.List => Ordered(a.EnumerateArray().ToList(), b.EnumerateArray().ToList(), depth),
            Kind.Tuple => Ordered(a.GetProperty("tuple").EnumerateArray().ToList(), b.GetProperty("tuple").EnumerateArray().ToList(), depth),
            Kind.Dict => DictEqual(a, b, depth),
            _ => false,
        };
    }

    private enum Kind { None, Bool, Str, Int, Float, List, Tuple, Dict, Set, FrozenSet, Bytes, Opaque }

    private static bool IsNumber(Kind k) => k is Kind.Int or Kind.Float;
    private static bool IsSet(Kind k) => k is Kind.Set or Kind.FrozenSet;

    private static Kind KindOf(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null: return Kind.None;
            case JsonValueKind.True or JsonValueKind.False: return Kind.Bool;
            case JsonValueKind.String: return Kind.Str;
            case JsonValueKind.Array: return Kind.List;
            case JsonValueKind.Object:
                using (var props = e.EnumerateObject())
                {
                    if (!props.MoveNext()) return Kind.Opaque;
                    var p = props.Current;
                    if (props.MoveNext()) return Kind.Opaque;
                    return (p.Name, p.Value.ValueKind) switch
                    {
                        ("int", JsonValueKind.String) when ParseInt(p.Value.GetString()!) is not null => Kind.Int,
                        ("float", JsonValueKind.String) when ParseFloat(p.Value.GetString()!) is not null => Kind.Float,
                        ("tuple", JsonValueKind.Array) => Kind.Tuple,
                        ("dict", JsonValueKind.Array) when p.Value.EnumerateArray().All(kv => kv.ValueKind == JsonValueKind.Array && kv.GetArrayLength() == 2) => Kind.Dict,
                        ("set", JsonValueKind.Array) => Kind.Set,
                        ("frozenset", JsonValueKind.Array) => Kind.FrozenSet,
                        ("bytes", JsonValueKind.String) => Kind.Bytes,
                        _ => Kind.Opaque,
                    };
                }
            default:
                return Kind.Opaque; // bare JSON numbers are never produced by the harness
        }
    }

    private static BigInteger? ParseInt(string s) =>
        s.Length <= 5000 && BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static double? ParseFloat(string s) => s switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null,
    };

    /// <summary>Python compares int and float exactly (no rounding of the int); NaN equals nothing.</summary>
    private static bool NumbersEqual(JsonElement a, Kind ka, JsonElement b, Kind kb)
    {
        if (ka == Kind.Int && kb == Kind.Int) return ParseInt(a.GetProperty("int").GetString()!) == ParseInt(b.GetProperty("int").GetString()!);
        if (ka == Kind.Float && kb == Kind.Float)
            return ParseFloat(a.GetProperty("float").GetString()!)!.Value == ParseFloat(b.GetProperty("float").GetString()!)!.Value;
        var i = ParseInt((ka == Kind.Int ? a : b).GetProperty("int").GetString()!)!.Value;
        var f = ParseFloat((ka == Kind.Float ? a : b).GetProperty("float").GetString()!)!.Value;
        if (double.IsNaN(f) || double.IsInfinity(f) || f != System.Math.Floor(f)) return false;
        return new BigInteger(f) == i;
    }

    private static List<JsonElement> Items(JsonElement e, params string[] names)
    {
        foreach (var n in names)
            if (e.TryGetProperty(n, out var v)) return v.EnumerateArray().ToList();
        return [];
    }

    private static bool Ordered(List<JsonElement> a, List<JsonElement> b, int depth) =>
        a.Count == b.Count && a.Zip(b).All(p => Equal(p.First, p.Second, depth + 1));

    /// <summary>Multiset match (each element of one side used once); sets from a forged line may repeat elements.</summary>
    private static bool Unordered(List<JsonElement> a, List<JsonElement> b, int depth)
    {
        if (a.Count != b.Count || a.Count > 2_000) return false;
        var used = new bool[b.Count];
        foreach (var x in a)
        {
            var j = Enumerable.Range(0, b.Count).FirstOrDefault(k => !used[k] && Equal(x, b[k], depth + 1), -1);
            if (j < 0) return false;
            used[j] = true;
        }
        return true;
    }

    private static bool DictEqual(JsonElement a, JsonElement b, int depth)
    {
        var pa = a.GetProperty("dict").EnumerateArray().ToList();
        var pb = b.GetProperty("dict").EnumerateArray().ToList();
        if (pa.Count != pb.Count || pa.Count > 2_000) return false;
        var used = new bool[pb.Count];
        foreach (var kv in pa)
        {
            var j = Enumerable.Range(0, pb.Count).FirstOrDefault(k => !used[k] && Equal(kv[0], pb[k][0], depth + 1), -1);
            if (j < 0 || !Equal(kv[1], pb[j][1], depth + 1)) return false;
            used[j] = true;
        }
        return true;
    }
}
