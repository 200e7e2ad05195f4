using System.Text;

namespace ProRL.Rollout.Engine;

/// <summary>
/// Accumulates one sample while it is generated: tokens, log-probs, decoded bytes, and the stop/EOS/length checks.
/// Stop strings are matched on bytes when the tokenizer is byte-level (only the new tail is scanned), otherwise on
/// the text GenAI decodes.
/// </summary>
internal sealed class SampleBuilder
{
    private readonly LoadedModel _model;
    private readonly SamplingSettings _settings;
    private readonly byte[][] _stopBytes;
    private readonly List<int> _tokens;
    private readonly List<float> _logProbs;
    private readonly List<byte> _bytes = [];
    private string? _stoppedText;

    public SampleBuilder(LoadedModel model, SamplingSettings settings, byte[][] stopBytes, int promptIndex, int sampleIndex, int[] promptTokens)
    {
        _model = model;
        _settings = settings;
        _stopBytes = stopBytes;
        PromptIndex = promptIndex;
        SampleIndex = sampleIndex;
        PromptTokens = promptTokens;
        _tokens = new List<int>(settings.MaxNewTokens);
        _logProbs = new List<float>(settings.MaxNewTokens);
    }

    public int PromptIndex { get; }
    public int SampleIndex { get; }
    public int[] PromptTokens { get; }
    public FinishReason? Finish { get; private set; }
    public bool IsFinished => Finish is not null;
    public int Count => _tokens.Count;

    public void Add(int token, float logProb, int budget)
    {
        _tokens.Add(token);
        _logProbs.Add(logProb);
        if (Array.IndexOf(_model.EosIds, token) >= 0) { Finish = FinishReason.Eos; return; }
        if (_stopBytes.Length > 0 && ReachedStop(token)) { Finish = FinishReason.Stop; return; }
        if (_tokens.Count >= budget) Finish = FinishReason.Length;
    }

    /// <summary>Marks an unfinished sample as cut by the length budget (GenAI reached max_length).</summary>
    public void EndByLength() => Finish ??= FinishReason.Length;

    private bool ReachedStop(int token)
    {
        if (_model.ByteDecoder is { } decoder)
        {
            int before = _bytes.Count;
            decoder.AppendBytes(token, _bytes);
            var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes);
            foreach (var stop in _stopBytes)
            {
                int from = Math.Max(0, before - stop.Length + 1);
                int at = all[from..].IndexOf(stop);
                if (at < 0) continue;
                _stoppedText = Encoding.UTF8.GetString(all[..(from + at)]);
                return true;
            }
            return false;
        }
        var text = _model.DecodeText(_tokens);
        foreach (var stop in _settings.StopStrings)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at < 0) continue;
            _stoppedText = text[..at];
            return true;
        }
        return false;
    }

    public RolloutSample Build() => new(
        PromptIndex, SampleIndex, PromptTokens, [.. _tokens], [.. _logProbs],
        _stoppedText ?? _model.DecodeText(_tokens), Finish ?? FinishReason.Length);
}
