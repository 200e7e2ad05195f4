using System.Text.Json;
using System.Text.RegularExpressions;

namespace ProRL.Worker.Startup;

/// <summary>
/// Turns the host builder's failure to read a configuration file (a missing brace in appsettings.Production.json) into
/// one line, <c>FILE:LINE:COLUMN: reason</c>, instead of an unhandled exception and its stack trace.
/// </summary>
public static partial class ConfigurationFileErrors
{
    [GeneratedRegex("configuration from file '(?<path>[^']+)'")]
    private static partial Regex FailedToLoad();

    /// <summary>The problems behind <paramref name="exception"/> when a configuration file could not be read; else empty.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is not InvalidDataException || FailedToLoad().Match(e.Message) is not { Success: true } match) continue;
            var path = match.Groups["path"].Value;
            var json = Chain(e).OfType<JsonException>().FirstOrDefault() ?? Reparse(path);
            var reason = Chain(e).Skip(1).FirstOrDefault(x => x is not JsonException)?.Message ?? e.Message;
            if (json is { LineNumber: { } line })
                return [$"{path}:{line + 1}:{(json.BytePositionInLine ?? 0) + 1}: not valid JSON ({FirstSentence(json.Message)})."];
            return [$"{path}: {reason}"];
        }
        return [];
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    /// <summary>Parses the file again as the JSON provider does, for the position of the error.</summary>
    private static JsonException? Reparse(string path)
    {
        try
        {
            using var _ = JsonDocument.Parse(File.ReadAllBytes(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return null;
        }
        catch (JsonException e)
        {
            return e;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends " Path: $.x | LineNumber: 3 | BytePositionInLine: 4."; the caller gives the position itself.
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }
}
