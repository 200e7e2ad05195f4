using System.Globalization;
using Lingua;

namespace ProRL.Tasks.IfEval;

/// <summary>
/// Language identification for IFEval's language checks with Lingua (a served .NET port; its n-gram models ship in
/// the package and are copied next to the assembly). Differences from the official langdetect-based check, each on
/// the strict side:
/// <list type="bullet">
/// <item>An undetectable text does not follow "respond in X" (the official check counts it as followed, so an empty or
/// digits-only answer would pass).</item>
/// <item>English also needs an English function word: a bare list of names or a two-word phrase is not English prose
/// (langdetect rejects those too, by chance rather than by rule).</item>
/// <item>Languages Lingua lacks (Kannada, Malayalam, Nepali) are told by their script.</item>
/// </list>
/// The candidates are IFEval's response languages plus their close neighbours, which keeps the one-time model load to
/// seconds; text in a language outside that set is usually attributed to a neighbour, never to a distant language.
/// </summary>
public static class LanguageIdentifier
{
    private static readonly string[] Candidates =
    [
        "en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk", "th", "ur", "ta", "te", "bg", "ko", "pl", "he", "fa", "vi",
        "sw", "mr", "gu", "pa", "fi", "zh", "nl", "af", "tl", "ro", "ca", "sv", "da", "nb", "id", "ms", "tr",
    ];

    /// <summary>Unicode script ranges for languages Lingua does not model.</summary>
    private static readonly Dictionary<string, (char First, char Last)> ScriptOnly = new()
    {
        ["kn"] = ('\u0C80', '\u0CFF'),
        ["ml"] = ('\u0D00', '\u0D7F'),
        ["ne"] = ('\u0900', '\u097F'),
    };

    private static readonly HashSet<string> EnglishFunctionWords =
    [
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "is", "are", "was", "were", "be", "it", "this", "that", "you",
        "i", "we", "they", "he", "she", "not", "as", "at", "by", "from", "have", "has", "can", "will", "your", "my", "our", "their", "its",
    ];

    private static readonly Lazy<LanguageDetector?> Detector = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock Gate = new();

    private static LanguageDetector? Build()
    {
        try
        {
            var languages = LanguageInfo.All().Where(l => Candidates.Contains(Code(l))).ToArray();
            return LanguageDetectorBuilder.FromLanguages(languages).Build();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static string Code(Language language) => LanguageInfo.IsoCode6391(language).ToString().ToLowerInvariant();

    /// <summary>Starts loading the models in the background, so that the first check does not wait for all of them.</summary>
    public static void Preload() => _ = Task.Run(() => Detect("preload the language models"));

    /// <summary>The ISO 639-1 code of the text's language, or null when it cannot be told.</summary>
    public static string? Detect(string text)
    {
        if (!text.Any(char.IsLetter) || Detector.Value is not { } detector) return null;
        try
        {
            Language language;
            lock (Gate) language = detector.DetectLanguageOf(text);
            return language == Language.Unknown ? null : Code(language);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or KeyNotFoundException or ArgumentException)
        {
            return null; // models missing or unreadable: the instruction is not followed, never a crash
        }
    }

    public static bool IsLanguage(string text, string isoCode)
    {
        if (ScriptOnly.TryGetValue(isoCode, out var range))
        {
            var letters = text.Where(char.IsLetter).ToList();
            return letters.Count > 0 && letters.Count(c => c >= range.First && c <= range.Last) * 2 > letters.Count;
        }
        if (Detect(text) != isoCode) return false;
        return isoCode != "en" || text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string(w.Where(char.IsLetter).ToArray()).ToLower(CultureInfo.InvariantCulture))
            .Any(EnglishFunctionWords.Contains);
    }
}
