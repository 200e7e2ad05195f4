namespace ProRL.Algorithms.Common;

/// <summary>Argument checks shared by the algorithms, with messages that name the offending array or option.</summary>
internal static class Check
{
    public static void Finite(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; every value must be finite.", name);
    }

    public static void Finite(ReadOnlySpan<float> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; every value must be finite.", name);
    }

    /// <summary>A per-token array must hold exactly B·T values.</summary>
    public static void Shape(int length, int batchSize, int tokens, string name)
    {
        if (length != batchSize * tokens)
            throw new ArgumentException(
                $"{name} has {length} values but the batch is [{batchSize}, {tokens}] = {batchSize * tokens}.", name);
    }

    public static void BatchDimensions(int batchSize, int tokens)
    {
        if (batchSize <= 0)
            throw new ArgumentException($"The batch is empty (batch size {batchSize}).", nameof(batchSize));
        if (tokens <= 0)
            throw new ArgumentException($"The batch rows are empty ({tokens} tokens per row).", nameof(tokens));
    }

    /// <summary>A response mask holds only 0 and 1.</summary>
    public static void Mask(ReadOnlySpan<float> mask, string name)
    {
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] != 0f && mask[i] != 1f)
                throw new ArgumentException($"{name}[{i}] is {mask[i]}; a response mask holds only 0 and 1.", name);
    }

    public static void Option(bool ok, string option, object? value, string rule)
    {
        if (!ok) throw new ArgumentException($"Option {option} = {value ?? "null"} is invalid: {rule}.", option);
    }
}
