using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace ProRL.Rollout.Engine;

/// <summary>
/// GenAI's logits in the element type the export writes them (float32, float16 or bfloat16), read as float32 rows.
/// fp16/bf16 exports are what GPUs run; reading their bytes as float32 gave garbage behaviour log-probabilities.
/// </summary>
internal readonly ref struct LogitsView
{
    /// <summary>ONNX's element-type code for bfloat16; GenAI 0.18's ElementType enum has no name for it.</summary>
    private const long BFloat16Code = 16;

    private readonly ReadOnlySpan<float> _float32;
    private readonly ReadOnlySpan<Half> _float16;
    private readonly ReadOnlySpan<ushort> _bfloat16;
    private readonly int _kind;

    private LogitsView(ReadOnlySpan<float> f32, ReadOnlySpan<Half> f16, ReadOnlySpan<ushort> bf16, int kind)
    {
        _float32 = f32;
        _float16 = f16;
        _bfloat16 = bf16;
        _kind = kind;
    }

    public static LogitsView Of(Microsoft.ML.OnnxRuntimeGenAI.Tensor logits)
    {
        var type = logits.Type();
        return type switch
        {
            ElementType.float32 => new LogitsView(logits.GetData<float>(), default, default, 0),
            ElementType.float16 => new LogitsView(default, logits.GetData<Half>(), default, 1),
            _ when (long)type == BFloat16Code => new LogitsView(default, default, logits.GetData<ushort>(), 2),
            _ => throw new NotSupportedException($"The model's 'logits' output is {type}; expected float32, float16 or bfloat16."),
        };
    }

    /// <summary>Elements [offset, offset + length) as float32: the data itself for float32, else converted into <paramref name="scratch"/>.</summary>
    public ReadOnlySpan<float> Row(int offset, int length, Span<float> scratch)
    {
        switch (_kind)
        {
            case 0:
                return _float32.Slice(offset, length);
            case 1:
                TensorPrimitives.ConvertToSingle(_float16.Slice(offset, length), scratch[..length]);
                return scratch[..length];
            default:
                var bits = _bfloat16.Slice(offset, length);
                for (int i = 0; i < length; i++) scratch[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
                return scratch[..length];
        }
    }
}
