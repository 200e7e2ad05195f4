using ProRL.Algorithms.Loss;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Heads;

/// <summary>
/// Reduces per-token values [B, T] to scalars under a 0/1 mask in the graph, with the denominators computed once.
/// Denominators are floored at 1 so that an all-masked micro-batch contributes 0 instead of NaN.
/// </summary>
internal sealed class MaskedAggregator
{
    private readonly HeadGraph _h;
    private readonly string _mask;
    private readonly LossAggregation _aggregation;
    private readonly int? _normalizationLength;
    private string? _tokenCount, _rowCounts, _sequenceCount, _sumNormDenominator;

    public MaskedAggregator(HeadGraph h, string mask, LossAggregation aggregation, int? normalizationLength = null)
    {
        _h = h;
        _mask = mask;
        _aggregation = aggregation;
        _normalizationLength = normalizationLength;
    }

    /// <summary>max(Σ m, 1).</summary>
    public string TokenCount => _tokenCount ??= _h.Max(_h.ReduceSum(_mask, 0, 1), _h.Const("one", 1));

    /// <summary>Σ m·x / max(Σ m, 1) whatever the aggregation (for metrics such as clip fractions).</summary>
    public string TokenMean(string values) => _h.Div(_h.ReduceSum(_h.Mul(values, _mask), 0, 1), TokenCount);

    /// <summary>The configured aggregation of <paramref name="values"/>.</summary>
    public string Aggregate(string values) => _aggregation switch
    {
        LossAggregation.TokenMean => TokenMean(values),
        LossAggregation.SeqMeanTokenMean => SequenceMeanOfTokenMeans(values),
        LossAggregation.SeqMeanTokenSumNorm => _h.Div(_h.ReduceSum(_h.Mul(values, _mask), 0, 1), SumNormDenominator()),
        _ => throw new ArgumentOutOfRangeException(nameof(_aggregation), _aggregation, "Unknown loss aggregation."),
    };

    private string SequenceMeanOfTokenMeans(string values)
    {
        if (_rowCounts is null)
        {
            var rowTokens = _h.ReduceSum(_mask, 1);
            _rowCounts = _h.Max(rowTokens, _h.Const("one", 1));
            var hasTokens = _h.ToElementType(_h.Greater(rowTokens, _h.Const("zero", 0)));
            _sequenceCount = _h.Max(_h.ReduceSum(hasTokens, 0), _h.Const("one", 1));
        }
        var rowMeans = _h.Div(_h.ReduceSum(_h.Mul(values, _mask), 1), _rowCounts);
        return _h.Div(_h.ReduceSum(rowMeans, 0), _sequenceCount!);
    }

    /// <summary>B · T_max, with T_max the row length unless fixed at build time.</summary>
    private string SumNormDenominator()
    {
        if (_sumNormDenominator is not null) return _sumNormDenominator;
        var shape = _h.Op("Shape", _mask);
        if (_normalizationLength is { } length)
        {
            var rows = _h.ToElementType(_h.Op("Gather", [shape, _h.Graph.Const("zero_index", Tensor.Scalar("zero_index", 0L))], Attr.Int("axis", 0)));
            return _sumNormDenominator = _h.Mul(rows, _h.Const("t_max", length));
        }
        return _sumNormDenominator = _h.ToElementType(_h.Op("Size", _mask));
    }
}
